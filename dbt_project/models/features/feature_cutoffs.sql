{#
    The cutoffs every ML feature is computed at, one row each. A feature at a cutoff uses only
    events on or before its cutoff_date (whole UTC days); a label uses only the horizon_days that
    follow it, which end on or before as_of_date, so training never sees past the warehouse's
    "now" and scoring features never see past as_of.

      scoring          as_of (var as_of, default: the day of the latest order or web event)
      churn_training   as_of - churn_horizon_days: churn labels = no sale in the horizon after
      churn_backtest   as_of - 2 x churn_horizon_days: its horizon ends at churn_training, so a
                       model trained there is measured on churn_training's labels (time split)
      lead_training    as_of - lead_conversion_days: leads created by then have a known outcome
      clv_holdout      as_of - clv_horizon_days: where a CLV backtest would start
#}
{%- set as_of = var('as_of', none) -%}
{%- set churn_days = var('churn_horizon_days', 90) | int -%}
{#- name: (days before as_of, horizon days) -#}
{%- set training_cutoffs = {
    'churn_training': (churn_days, churn_days),
    'churn_backtest': (2 * churn_days, churn_days),
    'lead_training': (var('lead_conversion_days', 90) | int, var('lead_conversion_days', 90) | int),
    'clv_holdout': (var('clv_horizon_days', 365) | int, var('clv_horizon_days', 365) | int),
} -%}

with

latest_data as (

    select * from {{ ref('int_customer_360__as_of') }}

),

as_of as (

    select
        {% if as_of -%}
            cast('{{ as_of }}' as date)
        {%- else -%}
            cast(as_of_at as date)
        {%- endif %} as as_of_date
    from latest_data

),

cutoffs as (

    select
        'scoring' as cutoff_name,
        as_of_date as cutoff_date,
        cast(null as {{ dbt.type_int() }}) as horizon_days,
        as_of_date
    from as_of
    {% for name, (days_before, horizon) in training_cutoffs.items() %}
        union all
        select
            '{{ name }}' as cutoff_name,
            cast({{ dbt.dateadd('day', -days_before, 'as_of_date') }} as date) as cutoff_date,
            cast({{ horizon }} as {{ dbt.type_int() }}) as horizon_days,
            as_of_date
        from as_of
    {% endfor %}

),

final as (

    select
        cast(cutoff_name as {{ dbt.type_string() }}) as cutoff_name,
        cutoff_date,
        horizon_days,
        as_of_date
    from cutoffs

)

select * from final
