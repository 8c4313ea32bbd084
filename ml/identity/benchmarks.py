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
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ml.identity.evaluation import PairwiseScores, pairwise_scores_of
from ml.identity.probabilistic import LINK_COLUMNS, LinkageSettings
from ml.identity.resolve import ResolutionSettings, resolve_identities

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
    """`records` scored as one source (dedup) or split into two sources (two-source)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    if task == "two-source":
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


# ../shared/data beside the project, where the public datasets live (never in the repo)
DEFAULT_SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@dataclass(frozen=True)
class SharedDatasetsReport:
    shared_data: str
    results: tuple[LabelledScores, ...]  # empty when the datasets are absent

    @property
    def absent(self) -> bool:
        return not self.results

    def as_dict(self) -> dict:
        return {
            "shared_data": self.shared_data,
            "absent": self.absent,
            "results": [asdict(result) for result in self.results],
        }

    def format(self) -> str:
        if self.absent:
            return f"labelled public datasets: not found at {self.shared_data}, not scored"
        return "\n".join(
            [f"labelled public datasets ({self.shared_data}), pairwise:"]
            + [result.format() for result in self.results]
        )


# Share of the 50k historical figures' people `binesh evaluate identity` scores (about 5,000
# records, seconds; all of them take minutes: bench/identity.py runs them through the pipeline).
HISTORICAL_SHARE = 0.1


def evaluate_shared_datasets(
    shared_data: Path = DEFAULT_SHARED_DATA,
    historical_cluster_share: float | None = HISTORICAL_SHARE,
) -> SharedDatasetsReport:
    """Both labelled datasets, dedup and two-source (None: all of the 50k); an empty report
    when they are not there."""
    if not (shared_data / FAKE_1000).exists() or not (shared_data / HISTORICAL_FIGURES).exists():
        return SharedDatasetsReport(str(shared_data), ())
    datasets = {
        "fake_1000": read_fake_1000(shared_data),
        "historical_figures": read_historical_figures(shared_data, historical_cluster_share),
    }
    results = tuple(
        score_dataset(name, records, task) for name, records in datasets.items() for task in TASKS
    )
    return SharedDatasetsReport(str(shared_data), results)
