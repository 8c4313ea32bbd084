"""Over-merge guards: shared contact points and probabilistic links between different people.

Guards judge people, not single records. A *unit* is what the source systems' keys already
tie together (a CRM contact with its leads, a shop customer with its tickets and devices): the
components of the key links. Two units are clearly different people when any named record of
one conflicts with any named record of the other: both have a first name and the names clearly
differ (Jaro-Winkler below the threshold, not an initial of the other, not a name typed in
the other field), or both have a birth date and the dates differ by more than one typed character.

- An email or phone number carried by units that conflict is shared (a family address, a
  shop's phone typed in for walk-in customers). Its named units are split into people (each
  joins the first earlier person it does not conflict with), units without a name or birth
  date cannot say which person they are (ambiguous: not linked through it), and an identifier
  with more than `max_people` people or more than `max_records` records links nobody.
- A probabilistic link between units whose first names conflict is vetoed, unless the two
  records share a birth date: a household shares an address, a family name and often an email,
  which Fellegi-Sunter counts as independent evidence, but seldom a birth date, while a person
  whose first name was typed as another (a second name, a nickname, a name replaced by a
  clerk) keeps theirs (FEBRL: all of 1,135 such links vetoed on dataset 3 were true). Birth
  dates do not veto it either: the model weighs them itself with levels for typos, swapped day
  and month and years apart, and in real records (the labelled historical figures) a true
  pair's birth dates often differ by more than one character.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

# Part numbers given to occurrences (records carrying an identifier) that link nobody.
AMBIGUOUS_PART = -1
IGNORED_PART = -2


@dataclass(frozen=True)
class SharingSettings:
    identifier_types: tuple[str, ...] = ("email", "phone")
    name_similarity: float = 0.85
    max_people: int = 4
    max_records: int = 200


def conflict_condition(left: str, right: str, name_similarity: float) -> str:
    """SQL that is true when named records `left` and `right` are clearly different people."""
    return f"""(
        {first_name_conflict(left, right, name_similarity)}
        or (
            {left}.birth_date is not null and {right}.birth_date is not null
            and levenshtein(cast({left}.birth_date as varchar),
                            cast({right}.birth_date as varchar)) > 1
        )
    )"""


def first_name_conflict(left: str, right: str, name_similarity: float) -> str:
    """SQL that is true when records `left` and `right` both have a first name and the names
    clearly differ: not similar, not an initial of the other, and neither record's name typed
    in the other field of the other record (names swapped or shifted: "hursey benedict" and
    "benedict husey")."""
    return f"""(
            {left}.first_name is not null and {right}.first_name is not null
            and {left}.first_name <> {right}.first_name
            and jaro_winkler_similarity({left}.first_name, {right}.first_name) < {name_similarity}
            and damerau_levenshtein({left}.first_name, {right}.first_name) > 1
            and not (length({left}.first_name) = 1
                     and starts_with({right}.first_name, {left}.first_name))
            and not (length({right}.first_name) = 1
                     and starts_with({left}.first_name, {right}.first_name))
            and not coalesce(
                jaro_winkler_similarity({left}.first_name, {right}.last_name)
                    >= {name_similarity}
                or jaro_winkler_similarity({left}.last_name, {right}.first_name)
                    >= {name_similarity},
                false
            )
        )"""


def household_conflict(left: str, right: str, name_similarity: float) -> str:
    """SQL that is true when probabilistically linked records `left` and `right` look like two
    members of one household: first names that clearly differ and no birth date in common."""
    return f"""(
        {first_name_conflict(left, right, name_similarity)}
        and not coalesce({left}.birth_date = {right}.birth_date, false)
    )"""


def conflicting_units(
    con: duckdb.DuckDBPyConnection, unit_pairs: str, conflict: str
) -> set[tuple[int, int]]:
    """The pairs (smaller unit first) of relation `unit_pairs` (columns unit_left, unit_right)
    with records `a` and `b` for which the SQL condition `conflict` holds (conflict_condition,
    household_conflict). Needs table `nodes` (unit, first_name, last_name, birth_date)."""
    rows = con.execute(
        f"""
        with named as (
            select unit, first_name, last_name, birth_date
            from nodes
            where first_name is not null or birth_date is not null
        ),
        pairs as (
            select distinct least(unit_left, unit_right) as unit_left,
                greatest(unit_left, unit_right) as unit_right
            from {unit_pairs}
            where unit_left <> unit_right
        )
        select distinct p.unit_left, p.unit_right
        from pairs p
        join named a on a.unit = p.unit_left
        join named b on b.unit = p.unit_right
        where {conflict}
        """
    ).fetchall()
    return {(left, right) for left, right in rows}


def partition_shared_identifiers(con: duckdb.DuckDBPyConnection, settings: SharingSettings) -> None:
    """Set `part` on table `occurrences` and create table `shared_identifiers`.

    `occurrences` has one row per (record, identifier): node, unit, sort_key (earlier first),
    identifier_type, identifier_value and any other columns. It is rebuilt with a `part`
    column: 0 for identifiers used as they are, 0..k-1 (one per person) for split identifiers,
    AMBIGUOUS_PART or IGNORED_PART for occurrences that link nothing.
    """
    types = ", ".join(f"'{t}'" for t in settings.identifier_types) or "null"
    con.execute(
        f"""
        create or replace temp table identifier_sizes as
        select identifier_type, identifier_value, count(*) as records,
            count(distinct unit) as units
        from occurrences
        where identifier_type in ({types})
        group by identifier_type, identifier_value
        having count(distinct unit) > 1
        """
    )
    con.execute(
        f"""
        create or replace temp table group_units as
        select o.identifier_type, o.identifier_value, o.unit, min(o.sort_key) as sort_key
        from occurrences o
        join identifier_sizes s using (identifier_type, identifier_value)
        where s.records <= {settings.max_records}
        group by o.identifier_type, o.identifier_value, o.unit
        """
    )
    con.execute(
        """
        create or replace temp view group_unit_pairs as
        select a.unit as unit_left, b.unit as unit_right
        from group_units a
        join group_units b
          on a.identifier_type = b.identifier_type
         and a.identifier_value = b.identifier_value
         and a.unit < b.unit
        """
    )
    conflicts = conflicting_units(
        con, "group_unit_pairs", conflict_condition("a", "b", settings.name_similarity)
    )
    named_units = {
        row[0]
        for row in con.execute(
            "select distinct unit from nodes where first_name is not null or birth_date is not null"
        ).fetchall()
    }
    parts, people = [], []
    if conflicts:
        _create(con, "conflict_pairs", ["unit_left", "unit_right"], sorted(conflicts))
        # only the identifiers whose units include a conflicting pair need splitting
        members = con.execute(
            """
            with conflicted as (
                select distinct a.identifier_type, a.identifier_value
                from group_units a
                join group_units b
                  on a.identifier_type = b.identifier_type
                 and a.identifier_value = b.identifier_value
                 and a.unit < b.unit
                join conflict_pairs c on c.unit_left = a.unit and c.unit_right = b.unit
            )
            select identifier_type, identifier_value, list(unit order by sort_key, unit)
            from group_units
            join conflicted using (identifier_type, identifier_value)
            group by identifier_type, identifier_value
            """
        ).fetchall()
        for identifier_type, value, units in members:
            named = [unit for unit in units if unit in named_units]
            groups: list[list[int]] = []
            for unit in named:
                for group in groups:
                    if not any((min(unit, m), max(unit, m)) in conflicts for m in group):
                        group.append(unit)
                        break
                else:
                    groups.append([unit])
            too_many = len(groups) > settings.max_people
            people.append((identifier_type, value, len(groups)))
            for index, group in enumerate(groups):
                for unit in group:
                    parts.append(
                        (identifier_type, value, unit, IGNORED_PART if too_many else index)
                    )

    _create(con, "split_parts", ["identifier_type", "identifier_value", "unit", "part"], parts)
    _create(con, "split_people", ["identifier_type", "identifier_value", "people"], people)
    # A split identifier: a named unit gets its person's part, an unnamed one is ambiguous.
    con.execute(
        f"""
        create or replace table occurrences as
        select
            o.*,
            case
                when s.records > {settings.max_records} then {IGNORED_PART}
                when people.people > {settings.max_people} then {IGNORED_PART}
                when people.people is not null then coalesce(p.part, {AMBIGUOUS_PART})
                else 0
            end as part
        from occurrences o
        left join identifier_sizes s using (identifier_type, identifier_value)
        left join split_people people using (identifier_type, identifier_value)
        left join split_parts p
          on p.identifier_type = o.identifier_type
         and p.identifier_value = o.identifier_value
         and p.unit = o.unit
        """
    )
    con.execute(
        f"""
        create or replace table shared_identifiers as
        select
            s.identifier_type,
            s.identifier_value,
            s.records,
            s.units,
            p.people,
            case
                when s.records > {settings.max_records} then 'ignored: too many records'
                when p.people > {settings.max_people} then 'ignored: too many people'
                else 'split by person'
            end as action
        from identifier_sizes s
        left join split_people p using (identifier_type, identifier_value)
        where s.records > {settings.max_records} or p.people is not null
        order by s.identifier_type, s.identifier_value
        """
    )


def _create(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple]
) -> None:
    """A temp table from Python rows, through Arrow (executemany is slow for data)."""
    arrow = pa.table(
        {
            name: pa.array(
                [row[i] for row in rows],
                pa.string() if name.startswith("identifier") else pa.int64(),
            )
            for i, name in enumerate(columns)
        }
    )
    con.register(f"{table}_rows", arrow)
    con.execute(f"create or replace temp table {table} as select * from {table}_rows")
    con.unregister(f"{table}_rows")
