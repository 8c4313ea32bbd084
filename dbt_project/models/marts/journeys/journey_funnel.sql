{#
    Two funnels, by monthly cohort and channel, with conversion and drop-off per step:

      web_session  visit -> product_view -> add_to_cart -> checkout -> purchase
                   every session (identified or not), cohort = month the session started,
                   channel = its traffic channel. A session reaches a step when it has that
                   event or a later one, so the funnel never widens.
      lead         lead -> customer
                   every CRM lead, cohort = month it was created, channel = lead source
                   channel; it reaches "customer" when it converted (int_journeys__leads).

    Channel 'all' holds every channel of the funnel and cohort together.
#}
with

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

leads as (

    select * from {{ ref('int_journeys__leads') }}

),

session_steps as (

    select
        'web_session' as funnel,
        cast({{ dbt.date_trunc('month', 'session_started_at') }} as date) as cohort_month,
        traffic_channel as channel,
        case
            when has_purchase then 5
            when has_checkout then 4
            when has_add_to_cart then 3
            when has_product_view then 2
            else 1
        end as furthest_step
    from sessions

),

lead_steps as (

    select
        'lead' as funnel,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as cohort_month,
        coalesce(source_channel, 'unknown') as channel,
        case when is_converted then 2 else 1 end as furthest_step
    from leads

),

steps as (

    select
        'web_session' as funnel,
        1 as step_number,
        'visit' as step_name
    union all
    select
        'web_session' as funnel,
        2 as step_number,
        'product_view' as step_name
    union all
    select
        'web_session' as funnel,
        3 as step_number,
        'add_to_cart' as step_name
    union all
    select
        'web_session' as funnel,
        4 as step_number,
        'checkout' as step_name
    union all
    select
        'web_session' as funnel,
        5 as step_number,
        'purchase' as step_name
    union all
    select
        'lead' as funnel,
        1 as step_number,
        'lead' as step_name
    union all
    select
        'lead' as funnel,
        2 as step_number,
        'customer' as step_name

),

entries as (

    select * from session_steps
    union all
    select * from lead_steps

),

by_channel as (

    select
        entries.funnel,
        entries.cohort_month,
        entries.channel,
        steps.step_number,
        steps.step_name,
        count(case when entries.furthest_step >= steps.step_number then 1 end) as entrants
    from entries
    inner join steps
        on entries.funnel = steps.funnel
    group by 1, 2, 3, 4, 5

),

all_channels as (

    select
        funnel,
        cohort_month,
        'all' as channel,
        step_number,
        step_name,
        sum(entrants) as entrants
    from by_channel
    group by 1, 2, 4, 5

),

combined as (

    select * from by_channel
    union all
    select * from all_channels

),

compared as (

    select
        funnel,
        cohort_month,
        channel,
        step_number,
        step_name,
        entrants,
        lag(entrants) over (
            partition by funnel, cohort_month, channel order by step_number
        ) as previous_step_entrants,
        first_value(entrants) over (
            partition by funnel, cohort_month, channel order by step_number
        ) as funnel_entrants
    from combined

),

final as (

    select
        funnel,
        cohort_month,
        channel,
        step_number,
        step_name,
        cast(entrants as {{ dbt.type_bigint() }}) as entrants,
        cast(previous_step_entrants as {{ dbt.type_bigint() }}) as previous_step_entrants,
        cast(previous_step_entrants - entrants as {{ dbt.type_bigint() }}) as drop_offs,
        cast(entrants as {{ type_double() }})
        / nullif(previous_step_entrants, 0) as conversion_rate_from_previous,
        1 - cast(entrants as {{ type_double() }})
        / nullif(previous_step_entrants, 0) as drop_off_rate,
        cast(entrants as {{ type_double() }})
        / nullif(funnel_entrants, 0) as conversion_rate_from_start
    from compared

)

select * from final
