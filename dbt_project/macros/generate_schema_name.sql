{#
    Use custom schemas as-is: a model configured with `schema: staging` lands in `staging`, not in
    `<target schema>_staging` (dbt's default). Models without a custom schema use the target's.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
