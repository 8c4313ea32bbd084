{#
    The text insights the Python asset wrote (text.insights), for the marts to read.
    When the table does not exist (dbt run on its own, e.g. the PostgreSQL build in CI, where
    no Python step writes it), an empty relation of the same shape is returned instead, so the
    marts still build, with null sentiment and themes.
#}
-- depends_on: {{ source('text', 'insights') }}
{% set text_insights_table = source('text', 'insights') %}
{% set has_text_insights = execute and load_relation(text_insights_table) is not none %}

with

text_insights as (

    {% if has_text_insights -%}
        select * from {{ text_insights_table }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as source, -- noqa: RF04
            cast(null as {{ dbt.type_string() }}) as source_table,
            cast(null as {{ dbt.type_string() }}) as source_key,
            cast(null as {{ dbt.type_string() }}) as source_customer_key,
            cast(null as {{ dbt.type_string() }}) as product_id,
            cast(null as {{ dbt.type_string() }}) as order_id,
            cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
            cast(null as {{ type_double() }}) as sentiment_score,
            cast(null as {{ dbt.type_string() }}) as sentiment_label,
            cast(null as {{ dbt.type_string() }}) as primary_theme,
            cast(null as {{ dbt.type_string() }}) as themes,
            cast(null as {{ dbt.type_string() }}) as keyphrases,
            cast(null as {{ dbt.type_string() }}) as requested_feature,
            cast(null as {{ dbt.type_string() }}) as analysis_version
        where 1 = 0
    {%- endif %}

),

final as (

    select
        source,
        source_table,
        source_key,
        source_customer_key,
        product_id,
        order_id,
        occurred_at,
        sentiment_score,
        sentiment_label,
        primary_theme,
        themes,
        keyphrases,
        requested_feature,
        analysis_version
    from text_insights

)

select * from final
