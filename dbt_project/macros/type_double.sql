{#
    An 8-byte floating-point type (dbt.type_float() is a 4-byte REAL on DuckDB): for
    probabilities and confidences that are compared and summed.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
