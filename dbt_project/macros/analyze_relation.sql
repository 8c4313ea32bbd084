{#
    Statistics for the query planner, right after a model is built: PostgreSQL's planner knows
    nothing about a fresh table until autovacuum's next pass (up to a minute later), and without
    statistics it misjudges the joins of the next models (one model took 50 s instead of 0.1 s
    at the default simulation). Run as a post-hook on every model (dbt_project.yml):

        +post-hook: "{{ analyze_relation() }}"

    DuckDB keeps its statistics up to date itself, so elsewhere this renders nothing and dbt
    skips the empty hook.
#}
{% macro analyze_relation(relation=none) -%}
    {{ return(adapter.dispatch('analyze_relation')(relation or this)) }}
{%- endmacro %}

{% macro default__analyze_relation(relation) -%}
{%- endmacro %}

{% macro postgres__analyze_relation(relation) -%}
    analyze {{ relation }}
{%- endmacro %}
