{#
    One row per element of a delimited string (`'a;b'` -> rows `a`, `b`), as a select-list
    expression, so the other columns of the row repeat:

        select customer_id, {{ split_to_rows('interests', ';') }} as interest from ...

    DuckDB and PostgreSQL expand a set-returning unnest in the select list; Spark uses explode.
    Elements are not trimmed and may be empty: filter in the next CTE.
#}
{% macro split_to_rows(column, delimiter) -%}
    {{ return(adapter.dispatch('split_to_rows')(column, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_rows(column, delimiter) -%}
    unnest(string_to_array({{ column }}, '{{ delimiter }}'))
{%- endmacro %}

{% macro duckdb__split_to_rows(column, delimiter) -%}
    unnest(string_split({{ column }}, '{{ delimiter }}'))
{%- endmacro %}

{% macro spark__split_to_rows(column, delimiter) -%}
    explode(split({{ column }}, '{{ delimiter }}'))
{%- endmacro %}
