{#
    The whole numbers 0 .. 10^digits - 1 as a subquery with one column, `number`: a spine for
    calendars and month offsets that needs no recursive SQL or introspection and runs the same
    on DuckDB and PostgreSQL.

        select number as day_offset from {{ number_series(5) }}
#}
{% macro number_series(digits) -%}
    (
        select
            {% for place in range(digits) -%}
            {{ ' + ' if not loop.first }}{{ 10 ** place }} * digit_{{ place }}.digit
            {%- endfor %} as number
        from
            {% for place in range(digits) -%}
            {{ 'cross join ' if not loop.first }}(
                select 0 as digit union all select 1 union all select 2 union all select 3
                union all select 4 union all select 5 union all select 6 union all select 7
                union all select 8 union all select 9
            ) as digit_{{ place }}
            {% endfor %}
    )
{%- endmacro %}
