{#
    Trimmed text, with empty (or whitespace-only) strings as null.
#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}
