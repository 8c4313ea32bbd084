{#
    Every order with the unified customer_id of the shop customer who placed it, its calendar
    parts, and whether it counts as a sale (cancelled, refunded and returned orders do not).
#}
with

orders as (

    select * from {{ ref('stg_ecommerce__orders') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where source = 'ecommerce' and source_table = 'customers' and customer_id is not null

),

final as (

    select
        orders.order_id,
        identity_map.customer_id,
        orders.customer_id as shop_customer_id,
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_date,
        {{ day_of_week('orders.ordered_at') }} as day_of_week,
        {{ weekday_name('orders.ordered_at') }} as weekday_name,
        {{ hour_of_day('orders.ordered_at') }} as hour_of_day,
        {{ season('orders.ordered_at') }} as season,
        orders.channel,
        orders.status,
        orders.amount,
        orders.coupon_code,
        orders.discount_amount,
        coalesce(lower(orders.status), 'completed')
        not in ('cancelled', 'canceled', 'refunded', 'returned') as is_sale
    from orders
    left outer join identity_map
        on orders.customer_id = identity_map.source_key

)

select * from final
