{#
    Web and app sessions (int_web__sessions: 30 minutes of inactivity or a new campaign landing
    starts a new one) with the unified customer_id of the visitor: through the device
    (anonymous_id) when resolved, else through the logged-in shop customer_id. channel is the
    session's platform (web or app).
#}
with

sessions as (

    select * from {{ ref('int_web__sessions') }}

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
        sessions.session_key,
        sessions.session_started_at,
        sessions.device,
        sessions.has_purchase,
        sessions.has_add_to_cart,
        coalesce(devices.customer_id, shop_customers.customer_id) as customer_id,
        coalesce(sessions.platform, 'web') as channel
    from sessions
    left outer join devices
        on sessions.anonymous_id = devices.anonymous_id
    left outer join shop_customers
        on sessions.shop_customer_id = shop_customers.shop_customer_id

)

select * from final
