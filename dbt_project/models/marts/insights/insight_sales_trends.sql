{#
    Sales by product, category, weekday and season, each compared between the latest trend
    window and the one before it (var insight_trend_window_days, default 90 days, counted back
    from as_of_at), with a seasonality index for weekdays and seasons. Seasons get no growth
    rate or trend: two consecutive windows hold different seasons, so the comparison would be
    the season itself; their seasonality_index says which season sells best.
#}
{%- set window_days = var('insight_trend_window_days', 90) -%}
{%- set dimensions = [
    {'name': 'product', 'value': 'product_id', 'label': 'product_name', 'sort': 'null'},
    {'name': 'category', 'value': 'category', 'label': 'category', 'sort': 'null'},
    {'name': 'weekday', 'value': 'weekday_name', 'label': 'weekday_name', 'sort': 'day_of_week'},
    {'name': 'season', 'value': 'season', 'label': 'season', 'sort': 'season_order'},
] -%}

with

orders as (

    select * from {{ ref('int_customer_360__orders') }}
    where is_sale

),

order_items as (

    select * from {{ ref('stg_ecommerce__order_items') }}

),

products as (

    select * from {{ ref('stg_ecommerce__products') }}

),

as_of as (

    select * from {{ ref('int_customer_360__as_of') }}

),

lines as (

    select
        orders.order_id,
        orders.ordered_date,
        orders.day_of_week,
        orders.weekday_name,
        orders.season,
        case orders.season
            when 'winter' then 1
            when 'spring' then 2
            when 'summer' then 3
            else 4
        end as season_order,
        order_items.product_id,
        coalesce(products.product_name, order_items.product_id) as product_name,
        coalesce(products.category, 'unknown') as category,
        coalesce(order_items.quantity, 1) as units,
        cast(
            coalesce(order_items.quantity, 1)
            * coalesce(order_items.unit_price, products.price, 0)
            as {{ type_double() }}
        ) as revenue,
        orders.ordered_at > {{ dbt.dateadd('day', -window_days, 'as_of.as_of_at') }}
            as is_current_window,
        orders.ordered_at <= {{ dbt.dateadd('day', -window_days, 'as_of.as_of_at') }}
        and orders.ordered_at > {{ dbt.dateadd('day', -2 * window_days, 'as_of.as_of_at') }}
            as is_previous_window
    from orders
    inner join order_items
        on orders.order_id = order_items.order_id
    left outer join products
        on order_items.product_id = products.product_id
    cross join as_of

),

days_per_bucket as (

    -- days with at least one sale, per weekday and season: the denominator of seasonality
    select
        'weekday' as dimension,
        weekday_name as dimension_value,
        count(distinct ordered_date) as active_days
    from lines
    group by 2

    union all

    select
        'season' as dimension,
        season as dimension_value,
        count(distinct ordered_date) as active_days
    from lines
    group by 2

),

overall as (

    select
        sum(revenue) as revenue,
        count(distinct ordered_date) as active_days
    from lines

),

aggregated as (

    {% for dimension in dimensions %}
        select
            '{{ dimension.name }}' as dimension,
            cast({{ dimension.value }} as {{ dbt.type_string() }}) as dimension_value,
            cast(min({{ dimension.label }}) as {{ dbt.type_string() }}) as dimension_label,
            cast(
                {{ 'min(category)' if dimension.name == 'product' else 'null' }}
                as {{ dbt.type_string() }}
            ) as category,
            cast(
                {{ 'min(' ~ dimension.sort ~ ')' if dimension.sort != 'null' else 'null' }}
                as {{ dbt.type_int() }}
            ) as sort_order,
            count(distinct order_id) as orders,
            sum(units) as units,
            sum(revenue) as revenue,
            sum(case when is_current_window then revenue else 0 end) as current_revenue,
            sum(case when is_previous_window then revenue else 0 end) as previous_revenue,
            sum(case when is_current_window then units else 0 end) as current_units,
            sum(case when is_previous_window then units else 0 end) as previous_units
        from lines
        group by 2
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        cast(aggregated.dimension as {{ dbt.type_string() }}) as dimension,
        aggregated.dimension_value,
        aggregated.dimension_label,
        aggregated.category,
        aggregated.sort_order,
        cast(aggregated.orders as {{ dbt.type_bigint() }}) as orders,
        cast(aggregated.units as {{ dbt.type_bigint() }}) as units,
        cast(aggregated.revenue as {{ type_double() }}) as revenue,
        cast(
            aggregated.revenue
            / nullif(sum(aggregated.revenue) over (partition by aggregated.dimension), 0)
            as {{ type_double() }}
        ) as revenue_share,
        cast(aggregated.current_revenue as {{ type_double() }}) as current_revenue,
        cast(aggregated.previous_revenue as {{ type_double() }}) as previous_revenue,
        cast(case
            when aggregated.dimension <> 'season'
                then
                    (aggregated.current_revenue - aggregated.previous_revenue)
                    / nullif(aggregated.previous_revenue, 0)
        end as {{ type_double() }}) as revenue_growth_rate,
        cast(aggregated.current_units as {{ dbt.type_bigint() }}) as current_units,
        cast(aggregated.previous_units as {{ dbt.type_bigint() }}) as previous_units,
        cast(case
            when aggregated.dimension <> 'season'
                then cast(
                    aggregated.current_units - aggregated.previous_units
                    as {{ type_double() }}
                )
                / nullif(aggregated.previous_units, 0)
        end as {{ type_double() }}) as units_growth_rate,
        cast(case
            when aggregated.dimension = 'season' then null
            when aggregated.previous_revenue = 0 and aggregated.current_revenue > 0 then 'new'
            when aggregated.previous_revenue = 0 then 'no_recent_sales'
            when aggregated.current_revenue = 0 then 'no_recent_sales'
            when aggregated.current_revenue >= 1.1 * aggregated.previous_revenue then 'growing'
            when aggregated.current_revenue <= 0.9 * aggregated.previous_revenue then 'declining'
            else 'stable'
        end as {{ dbt.type_string() }}) as trend,
        cast(
            (aggregated.revenue / nullif(days_per_bucket.active_days, 0))
            / nullif(overall.revenue / nullif(overall.active_days, 0), 0)
            as {{ type_double() }}
        ) as seasonality_index,
        cast(row_number() over (
            partition by aggregated.dimension
            order by aggregated.revenue desc, aggregated.dimension_value asc
        ) as {{ dbt.type_bigint() }}) as revenue_rank,
        cast({{ window_days }} as {{ dbt.type_int() }}) as trend_window_days
    from aggregated
    cross join overall
    left outer join days_per_bucket
        on
            aggregated.dimension = days_per_bucket.dimension
            and aggregated.dimension_value = days_per_bucket.dimension_value

)

select * from final
