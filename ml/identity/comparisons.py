"""What the Splink model compares and which pairs it scores: the comparison of each column
(levels from exact to distant, term-frequency adjusted where a rare value says more), the
blocking keys that find candidate pairs within a budget, and the blocks EM trains on.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import block_on

UK_SECTOR = "^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]"
UK_DISTRICT = "^[A-Z]{1,2}[0-9][A-Z0-9]? "
# Candidate blocking keys, tightest first: a pair is scored when it agrees on every column of
# one key. Without email and phone the names, birth date and address must find the pairs among
# them, each key missing what a typo in another one hides (derived columns, right, exist when
# their source does).
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("first_name", "last_name"),
    ("email",),
    ("phone",),
    ("birth_date",),
    ("postcode",),
    ("email_user",),
    ("street", "city"),
    ("last_name", "birth_year"),
    ("first_name", "birth_year"),
    ("last_name", "postcode"),
    ("first_name", "postcode"),
    ("last_name", "street"),
    ("first_name", "street"),
    ("last_name", "city"),
    ("first_name", "city"),
    ("first_name", "last_name_start"),
    ("first_name_start", "last_name"),
    ("first_name_start", "last_name_start", "birth_year"),
    ("birth_year", "postcode"),
    ("birth_year", "city"),
    ("last_name",),
    ("street",),
    ("first_name_start", "city"),
    ("first_name",),
    ("city",),
)
DERIVED_COLUMNS = {
    "email_user": "email",
    "birth_year": "birth_date",
    "first_name_start": "first_name",
    "last_name_start": "last_name",
}


def comparisons(available: set[str]) -> list:
    comparisons = [
        _name_comparison("first_name", "last_name"),
        _name_comparison("last_name", "first_name"),
    ]
    if "birth_date" in available:
        comparisons.append(_birth_date_comparison())
    if "email" in available:
        # Exact or not: addresses are made from names ("sarah.gordon12@"), so near misses and
        # equal user names say little that the name comparisons have not said already.
        comparisons.append(cl.ExactMatch("email").configure(term_frequency_adjustments=True))
    if "phone" in available:
        comparisons.append(cl.ExactMatch("phone"))
    if "street" in available:
        comparisons.append(_text_comparison("street", [0.95, 0.88, 0.7]))
    if "city" in available:
        comparisons.append(_text_comparison("city", [0.92, 0.8]))
    if "postcode" in available:
        comparisons.append(_postcode_comparison())
    return comparisons


def _name_comparison(name: str, other: str) -> cl.CustomComparison:
    """Exact (term-frequency adjusted: a rare name counts for more), Jaro-Winkler levels for
    typos, an initial for the name, the name written in the other name's field (swapped or
    shifted names), a distant Jaro-Winkler level, else."""
    left, right = f"{name}_l", f"{name}_r"
    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.NullLevel(name),
            cll.ExactMatchLevel(name, term_frequency_adjustments=True),
            cll.JaroWinklerLevel(name, 0.92),
            cll.JaroWinklerLevel(name, 0.88),
            cll.CustomLevel(
                f"(length({left}) = 1 and starts_with({right}, {left})) "
                f"or (length({right}) = 1 and starts_with({left}, {right}))",
                label_for_charts="initial",
            ),
            # Both names swapped, or one moved into the other field beside a missing name; a
            # single name equal across fields ("Logan Morgan", "Ferguson Logan") is no match.
            cll.CustomLevel(
                f"({left} = {other}_r and ({other}_l = {right} or {other}_l is null)) "
                f"or ({right} = {other}_l and ({other}_r = {left} or {other}_r is null))",
                label_for_charts=f"in the {other} field",
            ),
            cll.JaroWinklerLevel(name, 0.7),
            cll.ElseLevel(),
        ],
    )


def birth_date_levels() -> list:
    """Birth dates (YYYY-MM-DD text): exact, day and month swapped (a US date typed into a UK
    form), one typed character off (Damerau-Levenshtein: a wrong or transposed digit), two
    off, years within 5, else."""
    left, right = "birth_date_l", "birth_date_r"
    return [
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date", term_frequency_adjustments=True),
        cll.CustomLevel(
            f"substr({left}, 1, 4) = substr({right}, 1, 4) "
            f"and substr({left}, 6, 2) = substr({right}, 9, 2) "
            f"and substr({left}, 9, 2) = substr({right}, 6, 2)",
            label_for_charts="day and month swapped",
        ),
        cll.DamerauLevenshteinLevel("birth_date", 1),
        cll.DamerauLevenshteinLevel("birth_date", 2),
        cll.CustomLevel(
            f"abs(try_cast(substr({left}, 1, 4) as integer) "
            f"- try_cast(substr({right}, 1, 4) as integer)) <= 5",
            label_for_charts="years within 5",
        ),
        cll.ElseLevel(),
    ]


def _birth_date_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="birth_date", comparison_levels=birth_date_levels()
    )


def _text_comparison(column: str, thresholds: list[float]) -> cl.CustomComparison:
    """Exact (term-frequency adjusted: a big town says less than a hamlet), then Jaro-Winkler
    levels for typos."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            *(cll.JaroWinklerLevel(column, threshold) for threshold in thresholds),
            cll.ElseLevel(),
        ],
    )


def _postcode_comparison() -> cl.CustomComparison:
    """Exact, one typed character off, then (UK postcodes only) the same sector or district.
    Splink's PostcodeComparison takes any two non-UK postcodes for the same sector."""
    left, right = "postcode_l", "postcode_r"

    def same_part(pattern: str) -> str:
        part_left = f"regexp_extract({left}, '{pattern}')"
        return f"{part_left} <> '' and {part_left} = regexp_extract({right}, '{pattern}')"

    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
            cll.DamerauLevenshteinLevel("postcode", 1),
            cll.CustomLevel(same_part(UK_SECTOR), label_for_charts="same sector"),
            cll.CustomLevel(same_part(UK_DISTRICT), label_for_charts="same district"),
            cll.ElseLevel(),
        ],
    )


def prediction_blocking(
    con: duckdb.DuckDBPyConnection,
    available: set[str],
    max_all_pairs: float,
    max_comparisons: float,
) -> list:
    """Blocking rules. A small file has every pair scored; otherwise the keys, tightest first,
    each used only while the comparisons it adds stay within the budget (so 50,000 records are
    searched widely, a million only on the tight keys)."""
    records = con.execute("select count(*) from profiles").fetchall()[0][0]
    if records * (records - 1) / 2 <= max_all_pairs:
        return ["1 = 1"]
    rules: list = []
    budget = max_comparisons
    # a name written in the other name's field: swapped, or shifted when one is missing
    crossed = _crossed_name_pairs(con, "profiles")
    if crossed <= budget:
        budget -= crossed
        rules += ["l.first_name = r.last_name", "l.last_name = r.first_name"]
    for columns in BLOCKING_KEYS:
        if any(DERIVED_COLUMNS.get(column, column) not in available for column in columns):
            continue
        pairs = blocked_pairs(con, "profiles", [columns])
        if pairs > budget:
            continue
        budget -= pairs
        rules.append(block_on(*columns))
    return rules


def _crossed_name_pairs(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(
        con.execute(
            f"""
            select coalesce(sum(f.n * l.n), 0)
            from (select first_name as name, count(*) as n from {table} group by 1) f
            join (select last_name as name, count(*) as n from {table} group by 1) l using (name)
            """
        ).fetchall()[0][0]
    )


def training_blocks(available: set[str]) -> list[tuple[str, ...]]:
    """EM passes: each learns m for the comparisons outside its blocking columns."""
    blocks: list[tuple[str, ...]] = [("first_name", "last_name"), ("last_name",)]
    if "birth_date" in available:
        blocks.append(("birth_date",))
    if "postcode" in available:
        blocks.append(("postcode",))
    elif "email" in available:
        blocks.append(("email",))
    return blocks


def blocked_pairs(
    con: duckdb.DuckDBPyConnection, table: str, blocks: Sequence[tuple[str, ...]]
) -> int:
    """Pairs that agree (non-null) on every column of at least one block, counted per block."""
    total = 0
    for columns in blocks:
        keys = ", ".join(columns)
        not_null = " and ".join(f"{c} is not null" for c in columns)
        total += con.execute(
            f"select coalesce(sum(n * (n - 1) / 2), 0) from "
            f"(select count(*) as n from {table} where {not_null} group by {keys})"
        ).fetchall()[0][0]
    return int(total)
