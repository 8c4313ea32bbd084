{#
    row_number() that numbers the latest delivery of each key 1, for "latest wins" deduplication:
    the most recently updated record first (when the table has an update timestamp), then the
    latest file (daily files are named by date, so lexical order is chronological), then the last
    row within that file. Filter on `= 1` in the next CTE (no QUALIFY: it is not portable).
#}
{% macro latest_first(partition_by, updated_at=none) -%}
    row_number() over (
        partition by {{ partition_by | join(', ') if partition_by is not string else partition_by }}
        order by
            {%- if updated_at %}
            {{ updated_at }} desc nulls last,
            {%- endif %}
            _source_file desc,
            _source_row desc
    )
{%- endmacro %}
