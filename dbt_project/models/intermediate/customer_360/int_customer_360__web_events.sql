{#
    Web and app events with the unified customer_id: through the device (anonymous_id) when
    identity resolution linked it, else through the shop customer_id on the event (logged in).
    Events of devices never linked to a person keep a null customer_id.
#}
with

events as (

    select * from {{ ref('stg_web__events') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where customer_id is not null

),

devices as (

    select
        source_key as anonymous_id,
        customer_id
    from identity_map
    where source = 'web' and source_table = 'events'

),

shop_customers as (

    select
        source_key as shop_customer_id,
        customer_id
    from identity_map
    where source = 'ecommerce' and source_table = 'customers'

),

final as (

    select
        events.event_id,
        coalesce(devices.customer_id, shop_customers.customer_id) as customer_id,
        events.occurred_at,
        {{ day_of_week('events.occurred_at') }} as day_of_week,
        {{ hour_of_day('events.occurred_at') }} as hour_of_day,
        events.event_type,
        events.session_id,
        events.anonymous_id,
        events.product_id,
        events.search_query,
        events.device,
        case
            when events.device like '%app%' then 'app'
            else 'web'
        end as channel
    from events
    left outer join devices
        on events.anonymous_id = devices.anonymous_id
    left outer join shop_customers
        on events.customer_id = shop_customers.shop_customer_id

)

select * from final
