"""How right identity resolution is, against ground truth: pairwise precision, recall and F1.

A pair is two records. Predicted pairs are records with the same customer_id (a record without
one is alone); true pairs are records of the same person. Precision = correct predicted pairs /
predicted pairs, recall = correct predicted pairs / true pairs, over the records present in both
the identity map and the truth (a record quarantined by the loader is in neither).

Records that carry nothing to link them by (a device that never logged in) cost recall however
good the linking is. So the scores are also given for the *identifiable* records: those
carrying an identifier (a system key, an email, a phone, a login, an order reference) or a
profile (name, birth date, address), by a rule on the staged data that does not look at the
resolver's output (IDENTIFIABLE_RECORDS). An identifiable record left unresolved still costs
recall there. Reviews signed with a name and nothing else are scored on their own: a name is
not an identifier, and how many namesakes could have written one grows with the customer base.
Scores for the resolved records alone and per source table complete the picture.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class PairwiseScores:
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @classmethod
    def from_counts(cls, predicted: int, true: int, correct: int) -> PairwiseScores:
        precision = correct / predicted if predicted else 1.0
        recall = correct / true if true else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, predicted, true, correct)


# Which records carry an identifier. CRM and shop records always do (a profile: names, birth
# dates, addresses); the others need an email, a customer or order id, a logged-in web event or
# a visit from an email click, or an order reference in the ticket text.
IDENTIFIABLE_RECORDS = """
select 'crm' as source, 'contacts' as source_table, contact_id as source_key
from staging.stg_crm__contacts
union all
select 'crm', 'leads', lead_id from staging.stg_crm__leads
union all
select 'ecommerce', 'customers', customer_id from staging.stg_ecommerce__customers
union all
select distinct 'web', 'events', anonymous_id from staging.stg_web__events
where customer_id is not null or utm_medium = 'email'
union all
select 'feedback', 'reviews', review_id from staging.stg_feedback__reviews
where email is not null or customer_id is not null
union all
select 'surveys', 'responses', response_id from staging.stg_surveys__responses
where email is not null or customer_id is not null or order_id is not null
union all
select 'support', 'tickets', ticket_id from staging.stg_support__tickets
where email is not null or customer_id is not null
    or regexp_matches(ticket_text, 'ORD-[0-9]+')
"""

# Reviews signed "Anna Smith" or "Anna S." on a public site and nothing else: linked only when a
# single namesake ordered shortly before (rule review_recent_order), so scored apart.
NAME_ONLY_REVIEWS = """
select 'feedback' as source, 'reviews' as source_table, review_id as source_key
from staging.stg_feedback__reviews
where email is null and customer_id is null and author_name is not null
"""


@dataclass(frozen=True)
class NameOnlyLinks:
    records: int
    linked: int  # given a customer_id
    correct: int  # of those, sharing it with another record of the same person

    @property
    def link_rate(self) -> float:
        return self.linked / self.records if self.records else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.linked if self.linked else 1.0


@dataclass(frozen=True)
class SourceTableScores:
    source: str
    source_table: str
    records: int
    unresolved_records: int
    # Of the true pairs with at least one record of this table, the share predicted.
    pair_recall: float


@dataclass(frozen=True)
class IdentityEvaluation:
    records: int  # in both the identity map and the truth
    unresolved_records: int
    persons: int
    customers: int
    map_records_not_in_truth: int
    truth_records_not_in_map: int
    all_records: PairwiseScores
    # None when the staging tables are not there to tell (a map scored on its own)
    identifiable_records: PairwiseScores | None
    name_only_reviews: NameOnlyLinks | None
    resolved_records: PairwiseScores
    by_source_table: tuple[SourceTableScores, ...]

    def as_dict(self) -> dict:
        figures = asdict(self)
        if self.name_only_reviews:
            figures["name_only_reviews"] |= {
                "link_rate": self.name_only_reviews.link_rate,
                "precision": self.name_only_reviews.precision,
            }
        return figures

    def format(self) -> str:
        """A plain-text report (what `binesh evaluate identity` prints)."""

        def line(name: str, s: PairwiseScores) -> str:
            return (
                f"{name:<18} precision {s.precision:.4f}  recall {s.recall:.4f}  "
                f"F1 {s.f1:.4f}  ({s.correct_pairs:,} of {s.predicted_pairs:,} predicted pairs "
                f"correct, {s.true_pairs:,} true pairs)"
            )

        lines = [
            f"records {self.records:,} ({self.unresolved_records:,} unresolved), "
            f"persons {self.persons:,}, customers {self.customers:,}",
            line("all records", self.all_records),
            *(
                [line("identifiable", self.identifiable_records)]
                if self.identifiable_records
                else []
            ),
            line("resolved records", self.resolved_records),
            *(
                [
                    f"{'name-only reviews':<18} {r.linked:,} of {r.records:,} linked "
                    f"({r.link_rate:.1%}), {r.precision:.1%} of them to the right person"
                ]
                if (r := self.name_only_reviews)
                else []
            ),
            f"{'source table':<22} {'records':>9} {'unresolved':>11} {'pair recall':>12}",
        ]
        for t in self.by_source_table:
            lines.append(
                f"{t.source + '/' + t.source_table:<22} {t.records:>9,} "
                f"{t.unresolved_records:>11,} {t.pair_recall:>12.4f}"
            )
        if self.map_records_not_in_truth or self.truth_records_not_in_map:
            lines.append(
                f"not compared: {self.map_records_not_in_truth:,} map records without truth, "
                f"{self.truth_records_not_in_map:,} truth records not in the map"
            )
        return "\n".join(lines)


def evaluate_identity(
    con: duckdb.DuckDBPyConnection,
    truth_path: str | Path,
    identity_map: str = "marts.customer_identity_map",
) -> IdentityEvaluation:
    """Score `identity_map` (source, source_table, source_key, customer_id; e.g. the mart or
    identity.clusters) against the simulator's `_truth/identity.csv`
    (source, source_table, source_key, person_id). `con` may be read-only."""
    cursor = con.cursor()
    try:
        cursor.execute(
            f"""
            create temp table identity_truth as
            select distinct source, source_table, source_key, person_id
            from read_csv('{Path(truth_path).as_posix()}', all_varchar = true, header = true)
            """
        )
        cursor.execute(
            f"""
            create temp table identity_predicted as
            select distinct
                cast(source as varchar) as source,
                cast(source_table as varchar) as source_table,
                cast(source_key as varchar) as source_key,
                cast(customer_id as varchar) as customer_id
            from {identity_map}
            """
        )
        has_staging = bool(
            cursor.execute(
                "select 1 from information_schema.tables "
                "where table_schema = 'staging' and table_name = 'stg_web__events'"
            ).fetchall()
        )
        nothing = "select '' as source, '' as source_table, '' as source_key where false"
        cursor.execute(
            "create temp table identifiable as "
            + (IDENTIFIABLE_RECORDS if has_staging else nothing)
        )
        cursor.execute(
            "create temp table name_only as " + (NAME_ONLY_REVIEWS if has_staging else nothing)
        )
        cursor.execute(
            """
            create temp table identity_scored as
            select
                t.source,
                t.source_table,
                t.source_key,
                t.person_id,
                p.customer_id is null as is_unresolved,
                exists (
                    select 1 from identifiable i
                    where i.source = t.source and i.source_table = t.source_table
                        and i.source_key = t.source_key
                ) as is_identifiable,
                coalesce(p.customer_id,
                         'unresolved/' || t.source || '/' || t.source_table || '/' || t.source_key)
                    as predicted_id
            from identity_truth t
            join identity_predicted p using (source, source_table, source_key)
            """
        )
        counts = cursor.execute(
            """
            select
                (select count(*) from identity_scored),
                (select count(*) from identity_scored where is_unresolved),
                (select count(distinct person_id) from identity_scored),
                (select count(distinct predicted_id) from identity_scored where not is_unresolved),
                (select count(*) from identity_predicted p
                 where not exists (select 1 from identity_truth t
                                   where t.source = p.source and t.source_table = p.source_table
                                     and t.source_key = p.source_key)),
                (select count(*) from identity_truth t
                 where not exists (select 1 from identity_predicted p
                                   where t.source = p.source and t.source_table = p.source_table
                                     and t.source_key = p.source_key))
            """
        ).fetchall()[0]
        all_records = _scores(cursor, "true")
        identifiable = _scores(cursor, "is_identifiable") if has_staging else None
        resolved = _scores(cursor, "not is_unresolved")
        name_only = _name_only_links(cursor) if has_staging else None
        by_table = _by_source_table(cursor)
    finally:
        cursor.close()
    records, unresolved, persons, customers, extra, missing = counts
    return IdentityEvaluation(
        records=records,
        unresolved_records=unresolved,
        persons=persons,
        customers=customers,
        map_records_not_in_truth=extra,
        truth_records_not_in_map=missing,
        all_records=all_records,
        identifiable_records=identifiable,
        name_only_reviews=name_only,
        resolved_records=resolved,
        by_source_table=by_table,
    )


def _scores(cursor: duckdb.DuckDBPyConnection, where: str) -> PairwiseScores:
    scored = f"(select * from identity_scored where {where})"
    return pairwise_scores_of(cursor, scored, "predicted_id", "person_id")


def pairwise_scores_of(
    cursor: duckdb.DuckDBPyConnection, relation: str, predicted: str, truth: str
) -> PairwiseScores:
    """Pairs of rows of `relation` in one `predicted` group against pairs in one `truth` group."""
    predicted_pairs, true_pairs, correct = cursor.execute(
        f"""
        with scored as (select * from {relation})
        select
            (select coalesce(sum(n * (n - 1) // 2), 0) from
                (select count(*) as n from scored group by {predicted})),
            (select coalesce(sum(n * (n - 1) // 2), 0) from
                (select count(*) as n from scored group by {truth})),
            (select coalesce(sum(n * (n - 1) // 2), 0) from
                (select count(*) as n from scored group by {predicted}, {truth}))
        """
    ).fetchall()[0]
    return PairwiseScores.from_counts(int(predicted_pairs), int(true_pairs), int(correct))


def _name_only_links(cursor: duckdb.DuckDBPyConnection) -> NameOnlyLinks:
    records, linked, correct = cursor.execute(
        """
        select
            count(*),
            count(*) filter (where not s.is_unresolved),
            count(*) filter (where not s.is_unresolved and exists (
                select 1 from identity_scored o
                where o.person_id = s.person_id and o.predicted_id = s.predicted_id
                    and o.source_key <> s.source_key))
        from identity_scored s
        semi join name_only n using (source, source_table, source_key)
        """
    ).fetchall()[0]
    return NameOnlyLinks(int(records), int(linked), int(correct))


def _by_source_table(cursor: duckdb.DuckDBPyConnection) -> tuple[SourceTableScores, ...]:
    """Per table: pairs touching the table = C(n, 2) - C(n - n_table, 2) within each group."""
    rows = cursor.execute(
        """
        with tables as (
            select source, source_table, count(*) as records,
                count(*) filter (where is_unresolved) as unresolved_records
            from identity_scored
            group by source, source_table
        ),
        by_person as (
            select person_id, count(*) as n from identity_scored group by person_id
        ),
        by_person_table as (
            select person_id, source, source_table, count(*) as k
            from identity_scored group by person_id, source, source_table
        ),
        by_group as (
            select person_id, predicted_id, count(*) as n
            from identity_scored group by person_id, predicted_id
        ),
        by_group_table as (
            select person_id, predicted_id, source, source_table, count(*) as k
            from identity_scored group by person_id, predicted_id, source, source_table
        ),
        true_pairs as (
            select t.source, t.source_table,
                sum(p.n * (p.n - 1) // 2 - (p.n - t.k) * (p.n - t.k - 1) // 2) as pairs
            from by_person_table t join by_person p using (person_id)
            group by t.source, t.source_table
        ),
        correct_pairs as (
            select t.source, t.source_table,
                sum(g.n * (g.n - 1) // 2 - (g.n - t.k) * (g.n - t.k - 1) // 2) as pairs
            from by_group_table t join by_group g using (person_id, predicted_id)
            group by t.source, t.source_table
        )
        select tables.source, tables.source_table, tables.records, tables.unresolved_records,
            case when coalesce(true_pairs.pairs, 0) = 0 then 1.0
                 else coalesce(correct_pairs.pairs, 0) / true_pairs.pairs end
        from tables
        left join true_pairs using (source, source_table)
        left join correct_pairs using (source, source_table)
        order by tables.source, tables.source_table
        """
    ).fetchall()
    return tuple(
        SourceTableScores(source, table, int(records), int(unresolved), float(recall))
        for source, table, records, unresolved, recall in rows
    )
