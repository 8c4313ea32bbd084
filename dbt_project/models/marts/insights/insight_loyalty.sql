{#
    The loyalty of the customer base, one row per loyalty tier (customer_360.loyalty_tier) plus
    'all': customers, revenue and its share, orders, repeat rate (buyers with two or more
    orders), recency, and what they say: promoters, passives, detractors (latest NPS per
    customer), NPS, average CSAT and sentiment.
#}
with

customers as (

    select * from {{ ref('customer_360') }}

),

tiered as (

    select
        loyalty_tier,
        customer_id,
        orders,
        revenue,
        recency_days,
        nps_category,
        average_csat,
        average_sentiment,
        has_email_consent
    from customers

    union all

    select
        'all' as loyalty_tier,
        customer_id,
        orders,
        revenue,
        recency_days,
        nps_category,
        average_csat,
        average_sentiment,
        has_email_consent
    from customers

),

aggregated as (

    select
        loyalty_tier,
        count(*) as customers,
        sum(case when orders > 0 then 1 else 0 end) as buyers,
        sum(case when orders >= 2 then 1 else 0 end) as repeat_buyers,
        sum(orders) as orders,
        sum(revenue) as revenue,
        avg(cast(recency_days as {{ type_double() }})) as average_recency_days,
        sum(case when nps_category = 'promoter' then 1 else 0 end) as promoters,
        sum(case when nps_category = 'passive' then 1 else 0 end) as passives,
        sum(case when nps_category = 'detractor' then 1 else 0 end) as detractors,
        avg(average_csat) as average_csat,
        avg(average_sentiment) as average_sentiment,
        sum(case when has_email_consent then 1 else 0 end) as email_consented_customers
    from tiered
    group by 1

),

totals as (

    select
        customers as total_customers,
        revenue as total_revenue
    from aggregated
    where loyalty_tier = 'all'

),

final as (

    select
        cast(aggregated.loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(case aggregated.loyalty_tier
            when 'vip' then 1
            when 'loyal' then 2
            when 'repeat' then 3
            when 'one_time' then 4
            when 'lapsed' then 5
            when 'prospect' then 6
            else 0
        end as {{ dbt.type_int() }}) as tier_order,
        cast(aggregated.customers as {{ dbt.type_bigint() }}) as customers,
        cast(
            cast(aggregated.customers as {{ type_double() }}) / nullif(totals.total_customers, 0)
            as {{ type_double() }}
        ) as share_of_customers,
        cast(aggregated.buyers as {{ dbt.type_bigint() }}) as buyers,
        cast(aggregated.repeat_buyers as {{ dbt.type_bigint() }}) as repeat_buyers,
        cast(
            cast(aggregated.repeat_buyers as {{ type_double() }}) / nullif(aggregated.buyers, 0)
            as {{ type_double() }}
        ) as repeat_rate,
        cast(aggregated.orders as {{ dbt.type_bigint() }}) as orders,
        cast(aggregated.revenue as {{ type_double() }}) as revenue,
        cast(
            cast(aggregated.revenue as {{ type_double() }}) / nullif(totals.total_revenue, 0)
            as {{ type_double() }}
        ) as share_of_revenue,
        cast(
            cast(aggregated.orders as {{ type_double() }}) / nullif(aggregated.buyers, 0)
            as {{ type_double() }}
        ) as orders_per_buyer,
        cast(
            cast(aggregated.revenue as {{ type_double() }}) / nullif(aggregated.orders, 0)
            as {{ type_double() }}
        ) as average_order_value,
        cast(aggregated.average_recency_days as {{ type_double() }}) as average_recency_days,
        cast(aggregated.promoters as {{ dbt.type_bigint() }}) as promoters,
        cast(aggregated.passives as {{ dbt.type_bigint() }}) as passives,
        cast(aggregated.detractors as {{ dbt.type_bigint() }}) as detractors,
        cast(
            cast(100 * (aggregated.promoters - aggregated.detractors) as {{ type_double() }})
            / nullif(aggregated.promoters + aggregated.passives + aggregated.detractors, 0)
            as {{ type_double() }}
        ) as nps,
        cast(aggregated.average_csat as {{ type_double() }}) as average_csat,
        cast(aggregated.average_sentiment as {{ type_double() }}) as average_sentiment,
        cast(
            cast(aggregated.email_consented_customers as {{ type_double() }})
            / nullif(aggregated.customers, 0)
            as {{ type_double() }}
        ) as email_consent_rate
    from aggregated
    cross join totals

)

select * from final
