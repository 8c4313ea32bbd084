{#
    Browsing per unified customer: sessions (int_web__sessions, resolved in
    int_customer_360__web_sessions), page and product views, searches, carts, first and last
    seen, the category viewed most and the device used most.
#}
with

events as (

    select * from {{ ref('int_customer_360__web_events') }}
    where customer_id is not null

),

products as (

    select * from {{ ref('stg_ecommerce__products') }}

),

sessions as (

    select * from {{ ref('int_customer_360__web_sessions') }}
    where customer_id is not null

),

customer_sessions as (

    select
        customer_id,
        count(*) as sessions
    from sessions
    group by 1

),

activity as (

    select
        customer_id,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'search' then 1 else 0 end) as searches,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from events
    group by 1

),

category_views as (

    select
        events.customer_id,
        products.category,
        count(*) as view_count
    from events
    inner join products
        on events.product_id = products.product_id
    where events.event_type = 'product_view' and products.category is not null
    group by 1, 2

),

top_category as (

    select
        customer_id,
        category,
        row_number()
            over (partition by customer_id order by view_count desc, category asc)
            as view_rank
    from category_views

),

device_use as (

    select
        customer_id,
        device,
        row_number() over (
            partition by customer_id order by count(*) desc, device
        ) as device_rank
    from events
    where device is not null
    group by 1, 2

),

final as (

    select
        activity.customer_id,
        activity.page_views,
        activity.product_views,
        activity.searches,
        activity.add_to_carts,
        activity.first_seen_at,
        activity.last_seen_at,
        top_category.category as top_viewed_category,
        device_use.device as preferred_device,
        coalesce(customer_sessions.sessions, 0) as sessions
    from activity
    left outer join customer_sessions
        on activity.customer_id = customer_sessions.customer_id
    left outer join top_category
        on activity.customer_id = top_category.customer_id and top_category.view_rank = 1
    left outer join device_use
        on activity.customer_id = device_use.customer_id and device_use.device_rank = 1

)

select * from final
