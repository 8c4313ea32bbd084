{#
    Purchase history per unified customer: first and last order, orders, revenue, average order
    value, recency, the raw RFM values with 1–5 scores, and the category bought most.
    Only sales count (see int_customer_360__orders.is_sale).

    Recency and monetary scores are quintiles by cume_dist over the customers who bought: ties get
    the same score, so the result does not depend on row order (ntile would split ties
    arbitrarily). Frequency is too discrete for quintiles (most customers have one or two
    orders), so its score is the order count itself: 1, 2, 3, 4–5 -> 4, 6 or more -> 5.
#}
with

orders as (

    select * from {{ ref('int_customer_360__orders') }}
    where customer_id is not null and is_sale

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

customer_orders as (

    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as orders,
        sum(amount) as revenue,
        sum(case when coupon_code is not null then 1 else 0 end) as orders_with_coupon
    from orders
    group by 1

),

category_spend as (

    select
        orders.customer_id,
        products.category,
        sum(
            coalesce(order_items.quantity, 1)
            * coalesce(order_items.unit_price, products.price, 0)
        ) as category_revenue,
        sum(coalesce(order_items.quantity, 1)) as category_units
    from orders
    inner join order_items
        on orders.order_id = order_items.order_id
    inner join products
        on order_items.product_id = products.product_id
    where products.category is not null
    group by 1, 2

),

category_ranked as (

    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id
            order by category_revenue desc, category_units desc, category asc
        ) as category_rank
    from category_spend

),

with_recency as (

    select
        customer_orders.customer_id,
        customer_orders.first_order_at,
        customer_orders.last_order_at,
        customer_orders.orders,
        customer_orders.revenue,
        customer_orders.orders_with_coupon,
        cast(customer_orders.revenue as {{ type_double() }})
        / customer_orders.orders as average_order_value,
        {{ dbt.datediff('customer_orders.last_order_at', 'as_of.as_of_at', 'day') }}
            as recency_days,
        {{ dbt.datediff('customer_orders.first_order_at', 'as_of.as_of_at', 'day') }}
            as tenure_days
    from customer_orders
    cross join as_of

),

scored as (

    select
        *,
        cast(ceiling(5 * cume_dist() over (order by recency_days desc)) as {{ dbt.type_int() }})
            as recency_score,
        case
            when orders >= 6 then 5
            when orders >= 4 then 4
            else orders
        end as frequency_score,
        cast(ceiling(5 * cume_dist() over (order by revenue)) as {{ dbt.type_int() }})
            as monetary_score
    from with_recency

),

final as (

    select
        scored.customer_id,
        scored.first_order_at,
        scored.last_order_at,
        scored.orders,
        scored.revenue,
        scored.average_order_value,
        scored.orders_with_coupon,
        scored.recency_days,
        scored.tenure_days,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        category_ranked.category as top_purchased_category,
        case
            when scored.recency_score >= 4 and scored.frequency_score >= 4 then 'champions'
            when scored.recency_score >= 3 and scored.frequency_score >= 3 then 'loyal'
            when scored.recency_score >= 4 then 'recent'
            when scored.recency_score <= 2 and scored.frequency_score >= 3 then 'at_risk'
            when scored.recency_score <= 2 then 'hibernating'
            else 'needs_attention'
        end as rfm_segment
    from scored
    left outer join category_ranked
        on
            scored.customer_id = category_ranked.customer_id
            and category_ranked.category_rank = 1

)

select * from final
