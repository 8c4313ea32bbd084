{#
    Reach and failure of every channel by weekday and hour of day (UTC), one row per
    (channel, day_of_week, hour_of_day) cell that has activity. Per channel:
    - email (marketing): an attempt is a campaign email to a contact, at its send time;
      reached = delivered (or opened), success = opened or clicked, failure = bounced or
      unsubscribed. Its interactions are opens and clicks at the time they happened.
    - web, app: an attempt is a session (int_web__sessions, at its start; app = app devices);
      success = it had a purchase, failure = it added to cart without a purchase (abandoned).
    - store: an attempt is a store order; success = it counts as a sale, failure = it did not.
    - support_phone, support_chat, support_email: an attempt is a ticket; reached = it got a
      first response, success = resolved, failure = unresolved or rated CSAT 1–2.
    Interactions are what customers started (for email the opens and clicks, otherwise the
    attempts); is_best_hour / is_best_weekday flag the channel's hour and weekday with most.
#}
with

messages as (

    select * from {{ ref('stg_marketing__messages') }}

),

sessions as (

    select * from {{ ref('int_customer_360__web_sessions') }}

),

orders as (

    select * from {{ ref('int_customer_360__orders') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where customer_id is not null

),

contacts as (

    -- read from the ref, not the identity_map CTE: PostgreSQL materialises a CTE used twice
    -- without statistics and then plans a nested loop over every message (15 s -> 0.7 s)
    select
        source_key as contact_id,
        customer_id
    from {{ ref('customer_identity_map') }}
    where customer_id is not null and source = 'crm' and source_table = 'contacts'

),

email_sends as (

    select
        messages.campaign_id,
        messages.contact_id,
        min(case when messages.event_type = 'sent' then messages.occurred_at end) as sent_at,
        max(case when messages.event_type in ('delivered', 'opened', 'clicked') then 1 else 0 end)
            as is_reached,
        max(case when messages.event_type in ('opened', 'clicked') then 1 else 0 end)
            as is_success,
        max(case when messages.event_type in ('bounced', 'unsubscribed') then 1 else 0 end)
            as is_failure
    from messages
    group by 1, 2

),

email_attempts as (

    select
        'email' as channel,
        email_sends.sent_at as occurred_at,
        contacts.customer_id,
        1 as attempts,
        email_sends.is_reached as reached,
        email_sends.is_success as successes,
        email_sends.is_failure as failures,
        0 as interactions
    from email_sends
    left outer join contacts
        on email_sends.contact_id = contacts.contact_id
    where email_sends.sent_at is not null

),

email_interactions as (

    select
        'email' as channel,
        messages.occurred_at,
        contacts.customer_id,
        0 as attempts,
        0 as reached,
        0 as successes,
        0 as failures,
        1 as interactions
    from messages
    left outer join contacts
        on messages.contact_id = contacts.contact_id
    where messages.event_type in ('opened', 'clicked')

),

session_attempts as (

    select
        channel,
        session_started_at as occurred_at,
        customer_id,
        1 as attempts,
        1 as reached,
        case when has_purchase then 1 else 0 end as successes,
        case when has_add_to_cart and not has_purchase then 1 else 0 end as failures,
        1 as interactions
    from sessions

),

store_attempts as (

    select
        'store' as channel,
        ordered_at as occurred_at,
        customer_id,
        1 as attempts,
        1 as reached,
        case when is_sale then 1 else 0 end as successes,
        case when is_sale then 0 else 1 end as failures,
        1 as interactions
    from orders
    where channel = 'store'

),

ticket_attempts as (

    select
        'support_' || coalesce(tickets.channel, 'unknown') as channel,
        tickets.created_at as occurred_at,
        identity_map.customer_id,
        1 as attempts,
        case when tickets.first_response_at is not null then 1 else 0 end as reached,
        case when tickets.resolved_at is not null then 1 else 0 end as successes,
        case
            when tickets.resolved_at is null or tickets.csat_score <= 2 then 1 else 0
        end as failures,
        1 as interactions
    from tickets
    left outer join identity_map
        on
            identity_map.source = 'support'
            and identity_map.source_table = 'tickets'
            and tickets.ticket_id = identity_map.source_key

),

unioned as (

    select * from email_attempts
    union all
    select * from email_interactions
    union all
    select * from session_attempts
    union all
    select * from store_attempts
    union all
    select * from ticket_attempts

),

cells as (

    select
        channel,
        {{ day_of_week('occurred_at') }} as day_of_week,
        {{ weekday_name('occurred_at') }} as weekday_name,
        {{ hour_of_day('occurred_at') }} as hour_of_day,
        sum(attempts) as attempts,
        sum(reached) as reached,
        sum(successes) as successes,
        sum(failures) as failures,
        sum(interactions) as interactions,
        count(distinct customer_id) as customers
    from unioned
    where occurred_at is not null
    group by 1, 2, 3, 4

),

hour_totals as (

    select
        channel,
        hour_of_day,
        row_number() over (
            partition by channel order by sum(interactions) desc, hour_of_day
        ) as hour_rank
    from cells
    group by 1, 2

),

weekday_totals as (

    select
        channel,
        day_of_week,
        row_number() over (
            partition by channel order by sum(interactions) desc, day_of_week
        ) as weekday_rank
    from cells
    group by 1, 2

),

final as (

    select
        cast(cells.channel as {{ dbt.type_string() }}) as channel,
        cast(case
            when cells.channel = 'email' then 'marketing'
            when cells.channel in ('web', 'app') then 'digital'
            when cells.channel = 'store' then 'store'
            else 'support'
        end as {{ dbt.type_string() }}) as channel_type,
        cast(cells.day_of_week as {{ dbt.type_int() }}) as day_of_week,
        cast(cells.weekday_name as {{ dbt.type_string() }}) as weekday_name,
        cast(cells.hour_of_day as {{ dbt.type_int() }}) as hour_of_day,
        cast(cells.attempts as {{ dbt.type_bigint() }}) as attempts,
        cast(cells.reached as {{ dbt.type_bigint() }}) as reached,
        cast(cells.successes as {{ dbt.type_bigint() }}) as successes,
        cast(cells.failures as {{ dbt.type_bigint() }}) as failures,
        cast(
            cast(cells.successes as {{ type_double() }}) / nullif(cells.attempts, 0)
            as {{ type_double() }}
        ) as success_rate,
        cast(
            cast(cells.failures as {{ type_double() }}) / nullif(cells.attempts, 0)
            as {{ type_double() }}
        ) as failure_rate,
        cast(cells.interactions as {{ dbt.type_bigint() }}) as interactions,
        cast(cells.customers as {{ dbt.type_bigint() }}) as customers,
        cast(coalesce(hour_totals.hour_rank = 1, false) as {{ dbt.type_boolean() }})
            as is_best_hour,
        cast(coalesce(weekday_totals.weekday_rank = 1, false) as {{ dbt.type_boolean() }})
            as is_best_weekday
    from cells
    left outer join hour_totals
        on cells.channel = hour_totals.channel and cells.hour_of_day = hour_totals.hour_of_day
    left outer join weekday_totals
        on cells.channel = weekday_totals.channel and cells.day_of_week = weekday_totals.day_of_week

)

select * from final
