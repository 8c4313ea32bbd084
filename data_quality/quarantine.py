"""audit.quarantine: rows the loader could not parse or type, and raw rows that broke a row-level
rule, each with its reason and original values. Raw rows move there here (move_to_quarantine);
read-only summaries serve `binesh quarantine` and the quality report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from data_quality.checks import Suite
from data_quality.outcomes import CheckOutcome
from data_quality.samples import display
from sources.readers import quote_ident, quote_literal, table_exists

LINEAGE = ("_source_file", "_source_row", "_load_id", "_loaded_at")

# A reason without its quoted values, so that `amount: "-3" fails ...` and `amount: "-7" fails
# ...` count as one rule. A row with several problems lists them separated by "; ".
RULE_SQL = """regexp_replace(trim(unnest(string_split(reason, '; '))), '"[^"]*"', '…', 'g')"""


@dataclass(frozen=True)
class QuarantineSummary:
    """Quarantined rows (each one a row of a current file version: their count is the sum of
    audit.load_log.rows_quarantined), and apart from them the files that could not be read at
    all (one audit.quarantine record each, with no row)."""

    rows: int
    files: int
    by_table: list[dict]  # table, rows, files
    by_rule: list[dict]  # table, rule, rows
    by_file: list[dict]  # table, file, rows, first_row, reasons
    samples: list[dict]  # table, file, row, reason, original_row
    unreadable_files: list[dict]  # table, file, reason

    def as_dict(self) -> dict:
        return asdict(self)


def summarise_quarantine(
    con: duckdb.DuckDBPyConnection,
    table: str | None = None,
    sample_rows: int = 5,
    top_files: int = 20,
) -> QuarantineSummary:
    """Counts by table, rule and file (most rows first), and a few sample rows per table."""
    if not table_exists(con, "audit", "quarantine"):
        return QuarantineSummary(0, 0, [], [], [], [], [])
    parameters = [table] if table else []
    of_table = "source_table = ?" if table else "true"
    where = f"where source_row is not null and {of_table}"

    def records(sql: str, extra: list | None = None) -> list[dict]:
        cursor = con.execute(sql, parameters + (extra or []))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    [(rows, files)] = con.execute(
        f"select count(*), count(distinct source_file) from audit.quarantine {where}", parameters
    ).fetchall()
    by_table = records(
        f"""select source_table as table, count(*) as rows, count(distinct source_file) as files
        from audit.quarantine {where} group by 1 order by 2 desc, 1"""
    )
    by_rule = records(
        f"""select source_table as table, rule, count(*) as rows
        from (select source_table, {RULE_SQL} as rule from audit.quarantine {where})
        group by 1, 2 order by 3 desc, 1, 2"""
    )
    by_file = records(
        f"""select source_table as table, source_file as file, count(*) as rows,
            min(source_row) as first_row,
            left(string_agg(distinct reason, '; ' order by reason), 300) as reasons
        from audit.quarantine {where} group by 1, 2 order by 3 desc, 2 limit ?""",
        [top_files],
    )
    samples = records(
        f"""select source_table as table, source_file as file, source_row as row, reason,
            original_row
        from audit.quarantine {where}
        qualify row_number() over (partition by source_table order by source_file, source_row)
            <= ?
        order by 1, 2, 3""",
        [sample_rows],
    )
    unreadable = records(
        f"""select source_table as table, source_file as file, reason
        from audit.quarantine where source_row is null and {of_table} order by 1, 2"""
    )
    return QuarantineSummary(rows, files, by_table, by_rule, by_file, samples, unreadable)


def quarantine_rows(suite: Suite, frame: pd.DataFrame | None, outcomes: list[CheckOutcome]):
    """(_load_id, _source_row, reason) of every raw row that breaks a row-level rule whose
    failures stayed within tolerance; a row breaking several rules gets every reason. `frame`
    holds the failing rows of the ROWS frame, indexed by their position in it."""
    reasons: dict[int, list[str]] = {}
    for outcome in outcomes:
        if not outcome.quarantined_count:
            continue
        check, column = outcome.check, outcome.check.columns[0]
        for index in outcome.failing_indexes:
            reasons.setdefault(index, []).append(
                f"{column}: {display(frame.at[index, column])} fails {check.name} "
                f"({check.description})"
            )
    indexes = sorted(reasons)
    return pd.DataFrame(
        {
            "_load_id": frame.loc[indexes, "_load_id"].to_numpy() if indexes else [],
            "_source_row": frame.loc[indexes, "_source_row"].to_numpy() if indexes else [],
            "reason": ["; ".join(reasons[i]) for i in indexes],
        }
    )


def move_to_quarantine(con: duckdb.DuckDBPyConnection, suite: Suite, rows: pd.DataFrame) -> None:
    """Failing rows leave raw for audit.quarantine with their reasons and values; the file's
    audit.load_log entry moves them from loaded to quarantined, so landed = loaded +
    quarantined still holds and a re-delivery of the file replaces them like any other."""
    relation = suite.relation
    data_columns = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'raw' "
            "and table_name = ? order by column_index",
            [suite.table],
        ).fetchall()
        if name not in LINEAGE
    ]
    original = (
        "json_object("
        + ", ".join(f"{quote_literal(c)}, {quote_ident(c)}::varchar" for c in data_columns)
        + ")"
    )
    con.register("failing_rows", rows)
    try:
        con.execute(
            f"""
            insert into audit.quarantine
            select raw._load_id, ?, raw._source_file, raw._source_row, failing.reason,
                {original}::varchar,
                now()::timestamp
            from {relation} as raw
            inner join failing_rows as failing using (_load_id, _source_row)
            """,
            [suite.table],
        )
        con.execute(
            f"delete from {relation} where (_load_id, _source_row) in "
            "(select (_load_id, _source_row) from failing_rows)"
        )
        con.execute(
            """
            update audit.load_log as log
            set rows_loaded = log.rows_loaded - moved.rows,
                rows_quarantined = log.rows_quarantined + moved.rows,
                message = left(concat_ws('; ', log.message, moved.reasons), 1000)
            from (
                select _load_id, count(*) as rows,
                    string_agg(distinct regexp_replace(reason, '"[^"]*"', '…', 'g'),
                        '; ') as reasons
                from failing_rows group by _load_id
            ) as moved
            where log.load_id = moved._load_id
            """
        )
    finally:
        con.unregister("failing_rows")
