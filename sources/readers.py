"""DuckDB readers: a batch of landing files of one format into two temporary tables.

    landed    _file, _source_row, then every column of the files as text (snake_case names)
    rejected  _file, _source_row, original_row, reason — records DuckDB could not split into
              fields (wrong field count, broken quoting, invalid UTF-8, a line that is not JSON)

Everything stays text here, so no value can fail a cast while reading; the loader types it.
`_source_row` is the record's 1-based position in its file, header excluded (the CSV data line,
the JSONL line, the Parquet row). A reader raises duckdb.Error when a file as a whole cannot be
read; the loader then retries the batch file by file to isolate it.
"""

from __future__ import annotations

import duckdb

from sources.landing import CsvDialect, normalise_column_names

# How a landing CSV is read, after `columns = ?, delim = ?` from its header (csv_dialect): DuckDB
# sniffs nothing, and strict mode rejects a line with a field too many instead of dropping it.
CSV_OPTIONS = "header = true, auto_detect = false, quote = '\"', escape = '\"', strict_mode = true"

TEMP_TABLES = ("landed", "landed_text", "rejected", "jsonl_lines", "csv_rejects", "csv_scans")


def reset(con: duckdb.DuckDBPyConnection) -> None:
    for table in TEMP_TABLES:
        con.execute(f"drop table if exists {table}")
    con.execute(
        "create temp table rejected "
        "(_file varchar, _source_row bigint, original_row varchar, reason varchar)"
    )


def read_csv(con: duckdb.DuckDBPyConnection, paths: list[str], dialect: CsvDialect) -> None:
    """All files share `dialect` (delimiter and header), so DuckDB sniffs nothing.

    One statement per file: DuckDB's reject tables lose records when one scan spans several
    files, and strict mode is what rejects a line with a field too many instead of dropping it.
    """
    reset(con)
    columns = dict.fromkeys(dialect.columns, "VARCHAR")
    con.execute(
        "create temp table landed_text as select * from read_csv(?, columns = ?, header = true, "
        "auto_detect = false, filename = '_file') limit 0",
        [paths[0], columns],
    )
    for path in paths:
        con.execute(
            f"""
            insert into landed_text
            select * from read_csv(
                ?, columns = ?, delim = ?, {CSV_OPTIONS}, filename = '_file',
                store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_scans'
            )
            """,
            [path, columns, dialect.delimiter],
        )
    con.execute(
        """
        insert into rejected
        select
            scans.file_path,
            rejects.line - 1,  -- line 1 is the header
            any_value(rejects.csv_line),
            'could not parse the line: ' || string_agg(
                distinct rejects.error_type || ' (' || rejects.error_message || ')', '; '
            )
        from csv_rejects as rejects
        inner join csv_scans as scans using (scan_id, file_id)
        group by all
        """
    )
    # Parsed records only know their order within the file; every rejected line before a
    # record shifts its data line by one. `good_before` = parsed records ahead of a rejected line.
    con.execute(
        f"""
        create temp table landed as
        with parsed as (
            select
                *,
                rowid as scan_order,
                row_number() over (partition by _file order by rowid) as position
            from landed_text
        ),
        shifts as (
            select _file, _source_row - row_number() over (
                partition by _file order by _source_row) as good_before,
                row_number() over (partition by _file order by _source_row) as rejected_so_far
            from rejected
        ),
        steps as (
            select _file, good_before, max(rejected_so_far) as rejected_so_far
            from shifts group by all
        )
        select
            parsed._file,
            parsed.position + coalesce(steps.rejected_so_far, 0) as _source_row,
            {", ".join(f"parsed.{quote_ident(c)}" for c in dialect.columns)}
        from parsed
        asof left join steps
            on parsed._file = steps._file and parsed.position > steps.good_before
        order by parsed.scan_order
        """
    )
    con.execute("drop table landed_text")


def read_parquet(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    """Any column types; every value is turned into text (the loader re-types it)."""
    reset(con)
    source = "read_parquet(?, filename = '_file', file_row_number = true, union_by_name = true)"
    names = [
        row[0]
        for row in con.execute(f"describe select * from {source}", [paths]).fetchall()
        if row[0] not in ("_file", "file_row_number")
    ]
    casts = ", ".join(
        f"{quote_ident(name)}::varchar as {quote_ident(clean)}"
        for name, clean in zip(names, normalise_column_names(names), strict=True)
    )
    con.execute(
        f"create temp table landed as select _file, file_row_number + 1 as _source_row"
        f"{', ' + casts if casts else ''} from {source}",
        [paths],
    )


def read_jsonl(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    """One JSON object per line; a broken line is rejected, its neighbours still load."""
    reset(con)
    con.execute(
        """
        create temp table jsonl_lines as
        with files as (
            -- split once: unnesting two splits of a file side by side grows with its square
            select filename, string_split(content, chr(10)) as lines from read_text(?)
        ),
        split as (
            select
                filename as _file,
                unnest(lines) as line,
                generate_subscripts(lines, 1) as _source_row
            from files
        )
        select
            _file,
            _source_row,
            rtrim(line, chr(13)) as line,
            -- CASE keeps json_type away from lines that are not JSON at all
            coalesce(case when json_valid(line) then json_type(line) = 'OBJECT' end, false)
                as is_object
        from split
        where trim(line) <> ''
        """,
        [paths],
    )
    con.execute(
        "insert into rejected select _file, _source_row, line, 'the line is not a JSON object' "
        "from jsonl_lines where not is_object"
    )
    keys = [
        row[0]
        for row in con.execute(
            """
            with keys as (
                select unnest(json_keys(line)) as key, _file, _source_row
                from jsonl_lines where is_object
            )
            select key from keys group by key order by min(_file), min(_source_row), key
            """
        ).fetchall()
    ]
    # One parse per line: all keys are extracted together as a list of text values.
    paths_sql = ", ".join(quote_literal("$." + quote_json_key(key)) for key in keys)
    selects = "".join(
        f", values[{i}] as {quote_ident(clean)}"
        for i, clean in enumerate(normalise_column_names(keys), start=1)
    )
    con.execute(
        f"""
        create temp table landed as
        select _file, _source_row{selects}
        from (
            select _file, _source_row,
                {f"json_extract_string(line, [{paths_sql}])" if keys else "null"} as values
            from jsonl_lines where is_object
        )
        order by _file, _source_row
        """
    )
    con.execute("drop table jsonl_lines")


def quote_json_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether the warehouse has this table yet (an older or a young warehouse may not)."""
    [(found,)] = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(found)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def first_line(error: BaseException) -> str:
    """An error's first line, or its kind when it says nothing: a message names one cause."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
