"""Person records' comparison columns in one form, so that equal values compare equal: names as
lowercase ASCII letters, streets with their type written out, UK postcodes with the inward code
set apart, birth dates as YYYY-MM-DD text, empty as null. Used by the probabilistic linkage and
by the guards (which compare the same normalised names).
"""

from __future__ import annotations

import duckdb

LINK_COLUMNS = (
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
)
# The last word of a street line, written out: "12 Orchard Ln" and "12 Orchard Lane" agree.
STREET_ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "ln": "lane",
    "ave": "avenue",
    "av": "avenue",
    "cl": "close",
    "dr": "drive",
    "gdns": "gardens",
    "cres": "crescent",
    "pl": "place",
    "gr": "grove",
    "gro": "grove",
    "terr": "terrace",
    "ter": "terrace",
    "ct": "court",
    "sq": "square",
    "pk": "park",
    "hwy": "highway",
    "blvd": "boulevard",
}
# A UK postcode without its space: outward code, then the inward code (digit + two letters).
UK_POSTCODE = "^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$"


def normalise_link_columns(con: duckdb.DuckDBPyConnection, table: str) -> duckdb.DuckDBPyRelation:
    """The comparison columns in one form: names as lowercase ASCII letters, streets with their
    type written out, postcodes uppercase with the UK inward code set apart, birth dates as
    YYYY-MM-DD text, empty as null.

    Birth dates stay text so that a typed date that is no date ("1961-02-30") still compares
    by its characters. `table` is a relation name visible to `con` with a `record_id` column
    and any of LINK_COLUMNS; missing columns come out as nulls.
    """
    present = {row[0] for row in con.execute(f"describe {table}").fetchall()}

    def column(name: str, sql_type: str = "varchar") -> str:
        return name if name in present else f"cast(null as {sql_type})"

    street = f"regexp_replace(strip_accents({column('street')}), '[^A-Za-z0-9]+', ' ', 'g')"
    street = f"trim(lower({street}))"
    for short, full in STREET_ABBREVIATIONS.items():
        street = f"regexp_replace({street}, '\\b{short}$', '{full}')"
    postcode = f"upper(regexp_replace({column('postcode')}, '[^A-Za-z0-9]', '', 'g'))"
    postcode = f"regexp_replace({postcode}, '{UK_POSTCODE}', '\\1 \\2')"
    birth_date = column("birth_date")
    birth_date = (
        f"coalesce(strftime(try_cast({birth_date} as date), '%Y-%m-%d'), "
        f"nullif(regexp_extract(trim(cast({birth_date} as varchar)), "
        f"'^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'), ''))"
    )

    def name(col: str) -> str:
        letters = f"regexp_replace(lower(strip_accents({column(col)})), '[^a-z]', '', 'g')"
        return f"nullif({letters}, '')"

    return con.sql(
        f"""
        select *,
            try_cast(substr(birth_date, 1, 4) as integer) as birth_year,
            substr(first_name, 1, 2) as first_name_start,
            substr(last_name, 1, 2) as last_name_start
        from (
            select
                cast(record_id as varchar) as record_id,
                {name("first_name")} as first_name,
                {name("last_name")} as last_name,
                {birth_date} as birth_date,
                nullif(lower(trim({column("email")})), '') as email,
                nullif(split_part(lower(trim({column("email")})), '@', 1), '') as email_user,
                nullif(trim({column("phone")}), '') as phone,
                nullif({street}, '') as street,
                nullif(lower(trim({column("city")})), '') as city,
                nullif({postcode}, '') as postcode
            from {table}
        )
        """
    )


def populated_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    counts = ", ".join(f"count({name})" for name in LINK_COLUMNS)
    row = con.execute(f"select {counts} from {table}").fetchall()[0]
    return {name for name, count in zip(LINK_COLUMNS, row, strict=True) if count > 0}
