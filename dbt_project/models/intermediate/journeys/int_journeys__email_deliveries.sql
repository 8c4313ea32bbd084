{#
    One row per email campaign and recipient contact: when it was mailed and delivered, and
    whether (and when first) the recipient opened, clicked or unsubscribed, whenever that
    happened. Opens and clicks are therefore unique per recipient. A click counts as an open too
    (images may be blocked), and an open or click as a delivery (the delivery event may be lost).
#}
with

messages as (

    select * from {{ ref('stg_marketing__messages') }}

),

aggregated as (

    select
        campaign_id,
        contact_id,
        min(case when event_type = 'sent' then occurred_at end) as sent_at,
        min(case when event_type = 'delivered' then occurred_at end) as delivered_at,
        min(case when event_type = 'bounced' then occurred_at end) as bounced_at,
        min(case when event_type = 'opened' then occurred_at end) as first_opened_at,
        min(case when event_type = 'clicked' then occurred_at end) as first_clicked_at,
        min(case when event_type = 'unsubscribed' then occurred_at end) as unsubscribed_at,
        min(occurred_at) as first_event_at
    from messages
    where campaign_id is not null and contact_id is not null
    group by 1, 2

),

final as (

    select
        campaign_id,
        contact_id,
        sent_at,
        delivered_at,
        bounced_at,
        first_opened_at,
        first_clicked_at,
        unsubscribed_at,
        coalesce(sent_at, delivered_at, first_event_at) as mailed_at,
        bounced_at is null
        and (
            delivered_at is not null
            or first_opened_at is not null
            or first_clicked_at is not null
        ) as is_delivered,
        bounced_at is not null as is_bounced,
        first_opened_at is not null or first_clicked_at is not null as has_opened,
        first_clicked_at is not null as has_clicked,
        unsubscribed_at is not null as has_unsubscribed
    from aggregated

)

select * from final
