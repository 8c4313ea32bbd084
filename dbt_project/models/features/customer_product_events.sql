{#
    What each unified customer bought, put in a cart or viewed, product by product, up to and
    including as_of_date: the co-purchase and co-view patterns of the next-best-offer model.
    One row per order line (purchase) or web event (view, add_to_cart); weight is the quantity
    bought, 1 for an event.
#}
with

cutoffs as (

    select * from {{ ref('feature_cutoffs') }}
    where cutoff_name = 'scoring'

),

orders as (

    select * from {{ ref('int_customer_360__orders') }}
    where customer_id is not null and is_sale

),

order_items as (

    select * from {{ ref('stg_ecommerce__order_items') }}

),

web_events as (

    select * from {{ ref('int_customer_360__web_events') }}
    where
        customer_id is not null
        and product_id is not null
        and event_type in ('product_view', 'add_to_cart')

),

products as (

    select * from {{ ref('stg_ecommerce__products') }}

),

purchases as (

    select
        orders.customer_id,
        orders.ordered_at as occurred_at,
        'purchase' as event_type,
        order_items.product_id,
        orders.order_id,
        coalesce(order_items.quantity, 1) as weight
    from orders
    inner join order_items
        on orders.order_id = order_items.order_id
    where order_items.product_id is not null

),

views as (

    select
        customer_id,
        occurred_at,
        case when event_type = 'product_view' then 'view' else event_type end as event_type,
        product_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        1 as weight
    from web_events

),

events as (

    select * from purchases
    union all
    select * from views

),

final as (

    select
        events.customer_id,
        events.occurred_at,
        cast(events.event_type as {{ dbt.type_string() }}) as event_type,
        events.product_id,
        cast(products.category as {{ dbt.type_string() }}) as category,
        events.order_id,
        cast(events.weight as {{ dbt.type_int() }}) as weight
    from events
    inner join cutoffs
        on cast(events.occurred_at as date) <= cutoffs.cutoff_date
    left outer join products
        on events.product_id = products.product_id

)

select * from final
