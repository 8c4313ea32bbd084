{#
    The warehouse's "now": the latest order or web event time seen, one row. Recency, age and
    trend windows count back from it rather than from the wall clock, so a historical load (or
    the simulator's past dates) gives the same figures whenever it is rebuilt.

    A business without orders and web events (every source is optional) takes the latest
    dated record of its other sources instead; the wall clock only when there is none at all.
#}
with

orders as (

    select * from {{ ref('stg_ecommerce__orders') }}

),

events as (

    select * from {{ ref('stg_web__events') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

shop_customers as (

    select * from {{ ref('stg_ecommerce__customers') }}

),

messages as (

    select * from {{ ref('stg_marketing__messages') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

reviews as (

    select * from {{ ref('stg_feedback__reviews') }}

),

latest_order as (

    select max(ordered_at) as latest_at from orders

),

latest_event as (

    select max(occurred_at) as latest_at from events

),

other_activity as (

    select max(created_at) as latest_at from contacts
    union all
    select max(updated_at) as latest_at from contacts
    union all
    select max(created_at) as latest_at from leads
    union all
    select max(converted_at) as latest_at from leads
    union all
    select max(created_at) as latest_at from shop_customers
    union all
    select max(occurred_at) as latest_at from messages
    union all
    select max(created_at) as latest_at from tickets
    union all
    select max(submitted_at) as latest_at from responses
    union all
    select max(posted_at) as latest_at from reviews

),

latest_other as (

    select max(latest_at) as latest_at from other_activity

),

final as (

    select
        coalesce(
            case
                when latest_order.latest_at >= latest_event.latest_at then latest_order.latest_at
                else latest_event.latest_at
            end,
            latest_order.latest_at,
            latest_event.latest_at,
            latest_other.latest_at,
            cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
        ) as as_of_at
    from latest_order
    cross join latest_event
    cross join latest_other

)

select * from final
