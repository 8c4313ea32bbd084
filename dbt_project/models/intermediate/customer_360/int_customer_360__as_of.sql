{#
    The warehouse's "now": the latest order or web event time seen, one row. Recency, age and
    trend windows count back from it rather than from the wall clock, so a historical load (or
    the simulator's past dates) gives the same figures whenever it is rebuilt.
#}
with

orders as (

    select * from {{ ref('stg_ecommerce__orders') }}

),

events as (

    select * from {{ ref('stg_web__events') }}

),

latest_order as (

    select max(ordered_at) as latest_at from orders

),

latest_event as (

    select max(occurred_at) as latest_at from events

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
            cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
        ) as as_of_at
    from latest_order
    cross join latest_event

)

select * from final
