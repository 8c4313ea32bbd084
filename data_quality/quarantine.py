"""What is in audit.quarantine: rows the loader could not parse or type, and raw rows that broke
a row-level rule, each with its reason and original values. Read-only summaries for
`binesh quarantine` and the quality report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from sources.readers import table_exists

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
