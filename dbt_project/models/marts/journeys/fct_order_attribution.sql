{#
    Multi-touch attribution of every sale of a resolved customer to marketing channels and
    campaigns, under four models. The touches are the customer's web sessions (traffic channel,
    utm_campaign) and email clicks (campaign) in the var('attribution_lookback_days') (30) days
    up to the order. An email click followed within var('session_timeout_minutes') (30) by a
    session tagged with the same campaign is one touch (the session), not two.

      first_touch     all credit to the first touch
      last_touch      all credit to the last touch (often the buying session itself)
      linear          1/n to each of the n touches
      position_based  40% first, 40% last, 20% shared by the touches between; with two touches
                      50/50, with one 100%

    An order with no touch in the window gets one row per model with channel 'unattributed'
    (touch_position 0). Credits of an order under one model sum to 1.
#}
{%- set lookback_days = var('attribution_lookback_days', 30) -%}

with

touchpoints as (

    select * from {{ ref('fct_customer_touchpoints') }}
    where touchpoint_type in ('web_session', 'email_click')

),

orders as (

    select * from {{ ref('int_journeys__orders') }}
    where customer_id is not null

),

touch_sequence as (

    select
        touchpoint_id,
        customer_id,
        occurred_at,
        touchpoint_type,
        marketing_channel,
        campaign_id,
        lead(touchpoint_type) over (
            partition by customer_id order by occurred_at, touchpoint_id
        ) as next_touchpoint_type,
        lead(marketing_channel) over (
            partition by customer_id order by occurred_at, touchpoint_id
        ) as next_marketing_channel,
        lead(campaign_id) over (
            partition by customer_id order by occurred_at, touchpoint_id
        ) as next_campaign_id,
        lead(occurred_at) over (
            partition by customer_id order by occurred_at, touchpoint_id
        ) as next_occurred_at
    from touchpoints

),

touches as (

    select
        touchpoint_id,
        customer_id,
        occurred_at,
        touchpoint_type,
        marketing_channel as channel,
        campaign_id
    from touch_sequence
    where not (
        touchpoint_type = 'email_click'
        and coalesce(next_touchpoint_type = 'web_session', false)
        and coalesce(next_marketing_channel = 'email', false)
        and coalesce(next_campaign_id = campaign_id, false)
        and coalesce(
            next_occurred_at
            <= {{ dbt.dateadd('minute', var('session_timeout_minutes', 30), 'occurred_at') }},
            false
        )
    )

),

order_touches as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.amount,
        touches.touchpoint_id,
        touches.occurred_at as touched_at,
        touches.touchpoint_type,
        touches.channel,
        touches.campaign_id,
        row_number() over (
            partition by orders.order_id
            order by touches.occurred_at, touches.touchpoint_id
        ) as touch_position,
        count(*) over (partition by orders.order_id) as touch_count
    from orders
    inner join touches
        on
            orders.customer_id = touches.customer_id
            and orders.ordered_at >= touches.occurred_at
            and touches.occurred_at
            >= {{ dbt.dateadd('day', -1 * lookback_days, 'orders.ordered_at') }}

),

untouched_orders as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.amount,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        cast(null as {{ dbt.type_timestamp() }}) as touched_at,
        cast(null as {{ dbt.type_string() }}) as touchpoint_type,
        'unattributed' as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        0 as touch_position,
        0 as touch_count
    from orders
    where orders.order_id not in (select order_touches.order_id from order_touches)

),

attribution_models as (

    select 'first_touch' as attribution_model
    union all
    select 'last_touch' as attribution_model
    union all
    select 'linear' as attribution_model
    union all
    select 'position_based' as attribution_model

),

credited as (

    select
        *,
        'first_touch' as attribution_model,
        1.0 as credit
    from order_touches
    where touch_position = 1

    union all

    select
        *,
        'last_touch' as attribution_model,
        1.0 as credit
    from order_touches
    where touch_position = touch_count

    union all

    select
        *,
        'linear' as attribution_model,
        1.0 / touch_count as credit
    from order_touches

    union all

    select
        *,
        'position_based' as attribution_model,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touch_position = 1 or touch_position = touch_count then 0.4
            else 0.2 / (touch_count - 2)
        end as credit
    from order_touches

    union all

    select
        untouched_orders.*,
        models.attribution_model,
        1.0 as credit
    from untouched_orders
    cross join attribution_models as models

),

final as (

    select
        order_id,
        customer_id,
        ordered_at,
        attribution_model,
        cast(touch_position as integer) as touch_position,
        cast(touch_count as integer) as touch_count,
        touchpoint_id,
        touched_at,
        touchpoint_type,
        channel,
        campaign_id,
        cast(credit as {{ type_double() }}) as credit,
        cast(credit * amount as {{ type_double() }}) as attributed_revenue
    from credited

)

select * from final
