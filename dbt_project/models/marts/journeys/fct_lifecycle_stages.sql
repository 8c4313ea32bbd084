{#
    Each customer's way through the lifecycle, one row per stage entered:

      lead          first known (any touchpoint: contact, lead, account, visit, email, ...)
      prospect      first engagement: an email click or an identified web visit, before buying
      new_customer  first sale
      repeat        second sale, or a sale that ends an at-risk or churned spell
      loyal         sale number var('loyal_after_orders') (4), or a later sale that ends an
                    at-risk or churned spell
      at_risk       var('at_risk_after_days') (60) days after a sale with no sale since
      churned       var('churned_after_days') (120) days after a sale with no sale since

    A stage lasts until the next one is entered (exited_at); the current stage has no exited_at.
    "Now" is the latest order or web visit seen (as in int_customer_360__as_of), so a rebuild of
    the same data gives the same stages. The thresholds fit this business's purchase cycle:
    median gap between orders about 3 weeks, 95% of repeat orders within about 90 days.
#}
{%- set at_risk_after_days = var('at_risk_after_days', 60) -%}
{%- set churned_after_days = var('churned_after_days', 120) -%}
{%- set loyal_after_orders = var('loyal_after_orders', 4) -%}

with

touchpoints as (

    select * from {{ ref('fct_customer_touchpoints') }}

),

orders as (

    select * from {{ ref('int_journeys__orders') }}
    where customer_id is not null

),

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

as_of as (

    select max(latest_at) as as_of_at
    from (
        select max(ordered_at) as latest_at from orders
        union all
        select max(session_started_at) as latest_at from sessions
    ) as latest

),

first_orders as (

    select
        customer_id,
        min(ordered_at) as first_ordered_at
    from orders
    group by 1

),

customer_firsts as (

    select
        touchpoints.customer_id,
        min(touchpoints.occurred_at) as first_known_at,
        min(
            case
                when touchpoints.touchpoint_type in ('email_click', 'web_session')
                    then touchpoints.occurred_at
            end
        ) as first_engaged_at,
        min(first_orders.first_ordered_at) as first_ordered_at
    from touchpoints
    left outer join first_orders
        on touchpoints.customer_id = first_orders.customer_id
    group by 1

),

pre_purchase_stages as (

    select
        customer_id,
        'lead' as stage, -- noqa: RF04
        first_known_at as entered_at
    from customer_firsts
    where
        (first_engaged_at is null or first_known_at < first_engaged_at)
        and (first_ordered_at is null or first_known_at < first_ordered_at)

    union all

    select
        customer_id,
        'prospect' as stage, -- noqa: RF04
        first_engaged_at as entered_at
    from customer_firsts
    where
        first_engaged_at is not null
        and (first_ordered_at is null or first_engaged_at < first_ordered_at)

),

order_gaps as (

    select
        orders.customer_id,
        orders.customer_order_number,
        orders.ordered_at,
        orders.previous_ordered_at,
        coalesce(orders.next_ordered_at, as_of.as_of_at) as next_activity_at,
        {{ dbt.dateadd('day', at_risk_after_days, 'orders.ordered_at') }} as at_risk_at,
        {{ dbt.dateadd('day', churned_after_days, 'orders.ordered_at') }} as churned_at,
        orders.previous_ordered_at is not null
        and orders.ordered_at
        > {{ dbt.dateadd('day', at_risk_after_days, 'orders.previous_ordered_at') }}
            as is_reactivation
    from orders
    cross join as_of

),

purchase_stages as (

    select
        customer_id,
        case
            when customer_order_number = 1 then 'new_customer'
            when customer_order_number >= {{ loyal_after_orders }} then 'loyal'
            else 'repeat'
        end as stage, -- noqa: RF04
        ordered_at as entered_at
    from order_gaps
    where
        customer_order_number in (1, 2, {{ loyal_after_orders }})
        or is_reactivation

    union all

    select
        customer_id,
        'at_risk' as stage, -- noqa: RF04
        at_risk_at as entered_at
    from order_gaps
    where next_activity_at > at_risk_at

    union all

    select
        customer_id,
        'churned' as stage, -- noqa: RF04
        churned_at as entered_at
    from order_gaps
    where next_activity_at > churned_at

),

stages as (

    select * from pre_purchase_stages
    union all
    select * from purchase_stages

),

ordered as (

    select
        customer_id,
        stage,
        entered_at,
        case stage
            when 'lead' then 1
            when 'prospect' then 2
            when 'new_customer' then 3
            when 'repeat' then 4
            when 'loyal' then 5
            when 'at_risk' then 6
            when 'churned' then 7
        end as stage_rank
    from stages

),

final as (

    select
        customer_id,
        stage,
        entered_at,
        row_number() over (
            partition by customer_id order by entered_at, stage_rank
        ) as stage_sequence,
        lead(entered_at) over (
            partition by customer_id order by entered_at, stage_rank
        ) as exited_at,
        lead(entered_at) over (
            partition by customer_id order by entered_at, stage_rank
        ) is null as is_current_stage
    from ordered

)

select * from final
