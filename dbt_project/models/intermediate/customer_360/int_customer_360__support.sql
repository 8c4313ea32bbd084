{#
    Support history per unified customer: tickets, open tickets, the last ticket, and average
    queue, first-response and resolution times (resolved tickets only) in hours.
#}
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where source = 'support' and source_table = 'tickets' and customer_id is not null

),

resolved as (

    select
        identity_map.customer_id,
        tickets.created_at,
        tickets.resolved_at,
        tickets.queue_seconds,
        {{ dbt.datediff('tickets.created_at', 'tickets.first_response_at', 'second') }}
            as first_response_seconds,
        {{ dbt.datediff('tickets.created_at', 'tickets.resolved_at', 'second') }}
            as resolution_seconds
    from tickets
    inner join identity_map
        on tickets.ticket_id = identity_map.source_key

),

final as (

    select
        customer_id,
        count(*) as tickets,
        sum(case when resolved_at is null then 1 else 0 end) as open_tickets,
        max(created_at) as last_ticket_at,
        avg(queue_seconds) / 3600.0 as average_queue_hours,
        avg(first_response_seconds) / 3600.0 as average_first_response_hours,
        avg(resolution_seconds) / 3600.0 as average_resolution_hours
    from resolved
    group by 1

)

select * from final
