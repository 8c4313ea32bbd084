{#
    Orders that count as sales, with the unified customer and each customer's order sequence.

    A sale is any order whose status is not cancelled, refunded or returned (a missing status
    counts as a sale), the same rule as int_customer_360__orders. Orders of shop customers that
    identity resolution did not resolve keep customer_id null: they still count in revenue and
    order KPIs, but not in customer counts, lifecycle or attribution.
#}
with

orders as (

    select * from {{ ref('stg_ecommerce__orders') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where source = 'ecommerce' and source_table = 'customers'

),

sales as (

    select
        orders.order_id,
        identity_map.customer_id,
        orders.customer_id as shop_customer_id,
        orders.ordered_at,
        orders.amount,
        orders.currency,
        orders.channel,
        orders.store_id,
        orders.coupon_code,
        orders.discount_amount
    from orders
    left outer join identity_map
        on orders.customer_id = identity_map.source_key
    where
        orders.ordered_at is not null
        and coalesce(lower(orders.status), 'completed')
        not in ('cancelled', 'canceled', 'refunded', 'returned')

),

final as (

    select
        order_id,
        customer_id,
        shop_customer_id,
        ordered_at,
        cast(ordered_at as date) as ordered_date,
        amount,
        currency,
        channel,
        store_id,
        coupon_code,
        discount_amount,
        case
            when customer_id is not null
                then row_number() over (
                    partition by customer_id order by ordered_at, order_id
                )
        end as customer_order_number,
        case
            when customer_id is not null
                then lag(ordered_at) over (
                    partition by customer_id order by ordered_at, order_id
                )
        end as previous_ordered_at,
        case
            when customer_id is not null
                then lead(ordered_at) over (
                    partition by customer_id order by ordered_at, order_id
                )
        end as next_ordered_at,
        case
            when customer_id is not null
                then min(ordered_at) over (partition by customer_id)
        end as first_ordered_at
    from sales

)

select * from final
