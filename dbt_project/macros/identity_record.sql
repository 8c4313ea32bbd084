{#
    The columns of one source's rows in int_identity__records: the record's origin and kind, the
    personal details the source has (`details`: column -> expression) and null for the ones it
    lacks, so every source unions in the same shape.
#}
{% macro identity_record(source, source_table, source_key, record_kind, source_priority,
                         recorded_at, updated_at, details) -%}
    {%- set detail_types = {
        'first_name': dbt.type_string(), 'last_name': dbt.type_string(),
        'email': dbt.type_string(), 'phone': dbt.type_string(), 'birth_date': 'date',
        'gender': dbt.type_string(), 'street': dbt.type_string(), 'city': dbt.type_string(),
        'postcode': dbt.type_string(), 'country': dbt.type_string(),
    } -%}
    {%- for column in details if column not in detail_types -%}
        {{ exceptions.raise_compiler_error("identity_record: unknown detail column " ~ column) }}
    {%- endfor -%}
    '{{ source }}' as source, -- noqa: RF04
    '{{ source_table }}' as source_table,
    {{ source_key }} as source_key,
    '{{ record_kind }}' as record_kind,
    {{ source_priority }} as source_priority,
    {%- for column, type in detail_types.items() %}
    {{ details.get(column, 'cast(null as ' ~ type ~ ')') }} as {{ column }},
    {%- endfor %}
    {{ recorded_at }} as recorded_at,
    {{ updated_at }} as updated_at
{%- endmacro %}
