{#
    The first substring of `column` that matches the regular expression `pattern`, or null when
    nothing matches. DuckDB's regexp_extract returns '' for no match (hence the nullif);
    PostgreSQL's substring(... from pattern) returns null. Keep patterns to the common subset of
    RE2 and POSIX (character classes, quantifiers, no lookarounds or \d).
#}
{% macro extract_pattern(column, pattern) -%}
    {{ return(adapter.dispatch('extract_pattern')(column, pattern)) }}
{%- endmacro %}

{% macro default__extract_pattern(column, pattern) -%}
    substring({{ column }} from '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__extract_pattern(column, pattern) -%}
    nullif(regexp_extract({{ column }}, '{{ pattern }}'), '')
{%- endmacro %}

{% macro spark__extract_pattern(column, pattern) -%}
    nullif(regexp_extract({{ column }}, '{{ pattern }}', 0), '')
{%- endmacro %}
