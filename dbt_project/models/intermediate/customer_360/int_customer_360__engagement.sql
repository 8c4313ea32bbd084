{#
    How and when each customer engages: email opens, clicks, bounces and unsubscribes; the
    channel with most interactions (int_customer_360__interactions); the hour of day and weekday
    in which they interact most. Ties go to the more recent interaction's value, then the
    smaller value, so the choice is stable.
#}
with

messages as (

    select * from {{ ref('stg_marketing__messages') }}

),

interactions as (

    select * from {{ ref('int_customer_360__interactions') }}
    where customer_id is not null

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where source = 'crm' and source_table = 'contacts' and customer_id is not null

),

email_events as (

    select
        identity_map.customer_id,
        messages.event_type,
        messages.occurred_at
    from messages
    inner join identity_map
        on messages.contact_id = identity_map.source_key

),

email_engagement as (

    select
        customer_id,
        sum(case when event_type = 'sent' then 1 else 0 end) as emails_sent,
        sum(case when event_type = 'opened' then 1 else 0 end) as email_opens,
        sum(case when event_type = 'clicked' then 1 else 0 end) as email_clicks,
        sum(case when event_type = 'bounced' then 1 else 0 end) as email_bounces,
        sum(case when event_type = 'unsubscribed' then 1 else 0 end) as email_unsubscribes,
        max(case when event_type in ('opened', 'clicked') then occurred_at end)
            as last_email_engaged_at
    from email_events
    group by 1

),

channel_counts as (

    select
        customer_id,
        channel,
        count(*) as interactions,
        max(occurred_at) as last_at
    from interactions
    group by 1, 2

),

preferred_channel as (

    select
        customer_id,
        channel,
        row_number() over (
            partition by customer_id order by interactions desc, last_at desc, channel asc
        ) as preference_rank
    from channel_counts

),

hour_counts as (

    select
        customer_id,
        hour_of_day,
        count(*) as interactions,
        max(occurred_at) as last_at
    from interactions
    group by 1, 2

),

best_hour as (

    select
        customer_id,
        hour_of_day,
        row_number() over (
            partition by customer_id order by interactions desc, last_at desc, hour_of_day asc
        ) as hour_rank
    from hour_counts

),

weekday_counts as (

    select
        customer_id,
        day_of_week,
        weekday_name,
        count(*) as interactions,
        max(occurred_at) as last_at
    from interactions
    group by 1, 2, 3

),

best_weekday as (

    select
        customer_id,
        weekday_name,
        row_number() over (
            partition by customer_id order by interactions desc, last_at desc, day_of_week asc
        ) as weekday_rank
    from weekday_counts

),

customers as (

    select customer_id from email_engagement
    union
    select customer_id from channel_counts

),

final as (

    select
        customers.customer_id,
        email_engagement.last_email_engaged_at,
        preferred_channel.channel as preferred_channel,
        best_hour.hour_of_day as best_hour_of_day,
        best_weekday.weekday_name as best_weekday,
        coalesce(email_engagement.emails_sent, 0) as emails_sent,
        coalesce(email_engagement.email_opens, 0) as email_opens,
        coalesce(email_engagement.email_clicks, 0) as email_clicks,
        coalesce(email_engagement.email_bounces, 0) as email_bounces,
        coalesce(email_engagement.email_unsubscribes, 0) as email_unsubscribes
    from customers
    left outer join email_engagement
        on customers.customer_id = email_engagement.customer_id
    left outer join preferred_channel
        on
            customers.customer_id = preferred_channel.customer_id
            and preferred_channel.preference_rank = 1
    left outer join best_hour
        on customers.customer_id = best_hour.customer_id and best_hour.hour_rank = 1
    left outer join best_weekday
        on customers.customer_id = best_weekday.customer_id and best_weekday.weekday_rank = 1

)

select * from final
