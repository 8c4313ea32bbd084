{#
    The KPIs a business steers by, one row per calendar day (UTC) from the first to the last day
    with any activity (orders, visits, emails, tickets, surveys); quiet days are there with zero
    counts. Every rate comes with its numerator and denominator so that BI can re-aggregate to
    any period (kpi_monthly does exactly that). Definitions are in _kpis__models.yml.
#}
with

orders as (

    select * from {{ ref('int_journeys__orders') }}

),

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

leads as (

    select * from {{ ref('int_journeys__leads') }}

),

lifecycle_stages as (

    select * from {{ ref('fct_lifecycle_stages') }}

),

touchpoints as (

    select * from {{ ref('fct_customer_touchpoints') }}

),

email_deliveries as (

    select * from {{ ref('int_journeys__email_deliveries') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

-- measures per day, one CTE per subject

order_days as (

    select
        ordered_date as kpi_date,
        sum(amount) as revenue,
        count(*) as orders,
        count(coupon_code) as coupon_orders,
        count(distinct customer_id) as purchasing_customers,
        count(distinct case when customer_order_number = 1 then customer_id end)
            as new_customers,
        count(
            distinct case
                when cast(first_ordered_at as date) < ordered_date then customer_id
            end
        ) as returning_customers,
        count(case when customer_order_number = 2 then 1 end) as new_repeat_customers
    from orders
    group by 1

),

surveyed_order_days as (

    select
        orders.ordered_date as kpi_date,
        count(distinct orders.order_id) as surveyed_orders
    from orders
    inner join responses
        on orders.order_id = responses.order_id
    group by 1

),

session_days as (

    select
        cast(session_started_at as date) as kpi_date,
        count(*) as sessions,
        count(case when has_purchase then 1 end) as purchase_sessions
    from sessions
    group by 1

),

lead_days as (

    select
        cast(created_at as date) as kpi_date,
        count(*) as leads_created,
        count(case when is_converted then 1 end) as leads_converted
    from leads
    group by 1

),

customer_base_changes as (

    -- The customer base is every customer in stage new_customer, repeat, loyal or at_risk:
    -- entering one of them adds one, leaving one of them removes one, entering churned counts.
    select
        cast(entered_at as date) as kpi_date,
        case when stage = 'churned' then 0 else 1 end as base_change,
        case when stage = 'churned' then 1 else 0 end as churn
    from lifecycle_stages
    where stage in ('new_customer', 'repeat', 'loyal', 'at_risk', 'churned')

    union all

    select
        cast(exited_at as date) as kpi_date,
        -1 as base_change,
        0 as churn
    from lifecycle_stages
    where
        stage in ('new_customer', 'repeat', 'loyal', 'at_risk')
        and exited_at is not null

),

churn_days as (

    select
        kpi_date,
        sum(base_change) as base_net_change,
        sum(churn) as churned_customers
    from customer_base_changes
    group by 1

),

active_days as (

    select
        cast(occurred_at as date) as kpi_date,
        count(distinct customer_id) as active_customers
    from touchpoints
    where touchpoint_type != 'contact_created'
    group by 1

),

survey_days as (

    select
        cast(submitted_at as date) as kpi_date,
        count(case when survey_type = 'nps' then 1 end) as nps_responses,
        count(case when survey_type = 'nps' and score >= 9 then 1 end) as nps_promoters,
        count(case when survey_type = 'nps' and score <= 6 then 1 end) as nps_detractors,
        count(case when survey_type = 'csat' then 1 end) as csat_responses,
        count(case when survey_type = 'csat' and score >= 4 then 1 end) as csat_satisfied,
        sum(case when survey_type = 'csat' then score end) as csat_score_total
    from responses
    where
        (survey_type = 'nps' and score between 0 and 10)
        or (survey_type = 'csat' and score between 1 and 5)
    group by 1

),

ticket_days as (

    select
        cast(created_at as date) as kpi_date,
        count(*) as tickets,
        count(queue_seconds) as tickets_with_queue_time,
        sum(queue_seconds) as total_queue_seconds,
        count(first_response_at) as tickets_with_first_response,
        sum({{ dbt.datediff('created_at', 'first_response_at', 'second') }})
            as total_first_response_seconds,
        count(resolved_at) as resolved_tickets,
        sum({{ dbt.datediff('created_at', 'resolved_at', 'second') }})
            as total_resolution_seconds,
        count(case when csat_score between 1 and 5 then 1 end) as support_csat_responses,
        count(case when csat_score between 4 and 5 then 1 end) as support_csat_satisfied
    from tickets
    where created_at is not null
    group by 1

),

email_days as (

    select
        cast(mailed_at as date) as kpi_date,
        count(*) as emails_sent,
        count(case when is_delivered then 1 end) as emails_delivered,
        count(case when is_delivered and has_opened then 1 end) as emails_opened,
        count(case when is_delivered and has_clicked then 1 end) as emails_clicked
    from email_deliveries
    group by 1

),

-- the calendar: every day from the first to the last day with activity

activity_dates as (

    select kpi_date from order_days
    union all
    select kpi_date from session_days
    union all
    select kpi_date from email_days
    union all
    select kpi_date from ticket_days
    union all
    select kpi_date from survey_days

),

date_bounds as (

    select
        min(kpi_date) as first_date,
        max(kpi_date) as last_date
    from activity_dates

),

day_offsets as (

    select number as day_offset
    from {{ number_series(5) }} as numbers

),

calendar as (

    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'date_bounds.first_date') }} as date)
            as kpi_date
    from day_offsets
    cross join date_bounds
    where
        day_offsets.day_offset
        <= {{ dbt.datediff('date_bounds.first_date', 'date_bounds.last_date', 'day') }}

),

base_before_calendar as (

    -- lifecycle changes dated before the first day of activity (none when the data is coherent)
    select coalesce(sum(churn_days.base_net_change), 0) as base_net_change
    from churn_days
    cross join date_bounds
    where churn_days.kpi_date < date_bounds.first_date

),

joined as (

    select
        calendar.kpi_date,
        coalesce(order_days.revenue, 0) as revenue,
        coalesce(order_days.orders, 0) as orders,
        coalesce(order_days.coupon_orders, 0) as coupon_orders,
        coalesce(surveyed_order_days.surveyed_orders, 0) as surveyed_orders,
        coalesce(order_days.purchasing_customers, 0) as purchasing_customers,
        coalesce(order_days.new_customers, 0) as new_customers,
        coalesce(order_days.returning_customers, 0) as returning_customers,
        coalesce(order_days.new_repeat_customers, 0) as new_repeat_customers,
        coalesce(active_days.active_customers, 0) as active_customers,
        coalesce(session_days.sessions, 0) as sessions,
        coalesce(session_days.purchase_sessions, 0) as purchase_sessions,
        coalesce(lead_days.leads_created, 0) as leads_created,
        coalesce(lead_days.leads_converted, 0) as leads_converted,
        coalesce(churn_days.base_net_change, 0) as base_net_change,
        coalesce(churn_days.churned_customers, 0) as churned_customers,
        coalesce(survey_days.nps_responses, 0) as nps_responses,
        coalesce(survey_days.nps_promoters, 0) as nps_promoters,
        coalesce(survey_days.nps_detractors, 0) as nps_detractors,
        coalesce(survey_days.csat_responses, 0) as csat_responses,
        coalesce(survey_days.csat_satisfied, 0) as csat_satisfied,
        coalesce(survey_days.csat_score_total, 0) as csat_score_total,
        coalesce(ticket_days.tickets, 0) as tickets,
        coalesce(ticket_days.tickets_with_queue_time, 0) as tickets_with_queue_time,
        coalesce(ticket_days.total_queue_seconds, 0) as total_queue_seconds,
        coalesce(ticket_days.tickets_with_first_response, 0) as tickets_with_first_response,
        coalesce(ticket_days.total_first_response_seconds, 0) as total_first_response_seconds,
        coalesce(ticket_days.resolved_tickets, 0) as resolved_tickets,
        coalesce(ticket_days.total_resolution_seconds, 0) as total_resolution_seconds,
        coalesce(ticket_days.support_csat_responses, 0) as support_csat_responses,
        coalesce(ticket_days.support_csat_satisfied, 0) as support_csat_satisfied,
        coalesce(email_days.emails_sent, 0) as emails_sent,
        coalesce(email_days.emails_delivered, 0) as emails_delivered,
        coalesce(email_days.emails_opened, 0) as emails_opened,
        coalesce(email_days.emails_clicked, 0) as emails_clicked
    from calendar
    left outer join order_days
        on calendar.kpi_date = order_days.kpi_date
    left outer join surveyed_order_days
        on calendar.kpi_date = surveyed_order_days.kpi_date
    left outer join active_days
        on calendar.kpi_date = active_days.kpi_date
    left outer join session_days
        on calendar.kpi_date = session_days.kpi_date
    left outer join lead_days
        on calendar.kpi_date = lead_days.kpi_date
    left outer join churn_days
        on calendar.kpi_date = churn_days.kpi_date
    left outer join survey_days
        on calendar.kpi_date = survey_days.kpi_date
    left outer join ticket_days
        on calendar.kpi_date = ticket_days.kpi_date
    left outer join email_days
        on calendar.kpi_date = email_days.kpi_date

),

cumulated as (

    select
        joined.*,
        sum(joined.new_customers) over (
            order by joined.kpi_date rows between unbounded preceding and current row
        ) as customers_to_date,
        sum(joined.new_repeat_customers) over (
            order by joined.kpi_date rows between unbounded preceding and current row
        ) as repeat_customers_to_date,
        base_before_calendar.base_net_change
        + coalesce(
            sum(joined.base_net_change) over (
                order by joined.kpi_date rows between unbounded preceding and 1 preceding
            ),
            0
        ) as customer_base_at_start
    from joined
    cross join base_before_calendar

),

final as (

    select
        kpi_date,
        cast(revenue as {{ type_double() }}) as revenue,
        cast(orders as {{ dbt.type_bigint() }}) as orders,
        cast(revenue as {{ type_double() }}) / nullif(orders, 0) as average_order_value,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(returning_customers as {{ dbt.type_bigint() }}) as returning_customers,
        cast(purchasing_customers as {{ dbt.type_bigint() }}) as purchasing_customers,
        cast(active_customers as {{ dbt.type_bigint() }}) as active_customers,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(purchase_sessions as {{ dbt.type_bigint() }}) as purchase_sessions,
        cast(purchase_sessions as {{ type_double() }}) / nullif(sessions, 0)
            as session_conversion_rate,
        cast(leads_created as {{ dbt.type_bigint() }}) as leads_created,
        cast(leads_converted as {{ dbt.type_bigint() }}) as leads_converted,
        cast(leads_converted as {{ type_double() }}) / nullif(leads_created, 0)
            as lead_conversion_rate,
        cast(customers_to_date as {{ dbt.type_bigint() }}) as customers_to_date,
        cast(repeat_customers_to_date as {{ dbt.type_bigint() }}) as repeat_customers_to_date,
        cast(repeat_customers_to_date as {{ type_double() }}) / nullif(customers_to_date, 0)
            as repeat_purchase_rate,
        cast(customer_base_at_start as {{ dbt.type_bigint() }}) as customer_base_at_start,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(churned_customers as {{ type_double() }}) / nullif(customer_base_at_start, 0)
            as churn_rate,
        cast(nps_responses as {{ dbt.type_bigint() }}) as nps_responses,
        cast(nps_promoters as {{ dbt.type_bigint() }}) as nps_promoters,
        cast(nps_detractors as {{ dbt.type_bigint() }}) as nps_detractors,
        cast(100 * (nps_promoters - nps_detractors) as {{ type_double() }})
        / nullif(nps_responses, 0) as nps,
        cast(csat_responses as {{ dbt.type_bigint() }}) as csat_responses,
        cast(csat_satisfied as {{ dbt.type_bigint() }}) as csat_satisfied,
        cast(csat_score_total as {{ dbt.type_bigint() }}) as csat_score_total,
        cast(100 * csat_satisfied as {{ type_double() }}) / nullif(csat_responses, 0) as csat,
        cast(csat_score_total as {{ type_double() }}) / nullif(csat_responses, 0)
            as average_csat_score,
        cast(surveyed_orders as {{ dbt.type_bigint() }}) as surveyed_orders,
        cast(surveyed_orders as {{ type_double() }}) / nullif(orders, 0)
            as survey_response_rate,
        cast(tickets as {{ dbt.type_bigint() }}) as tickets,
        cast(tickets_with_queue_time as {{ dbt.type_bigint() }}) as tickets_with_queue_time,
        cast(total_queue_seconds as {{ dbt.type_bigint() }}) as total_queue_seconds,
        cast(total_queue_seconds as {{ type_double() }}) / nullif(tickets_with_queue_time, 0)
            as average_queue_seconds,
        cast(tickets_with_first_response as {{ dbt.type_bigint() }})
            as tickets_with_first_response,
        cast(total_first_response_seconds as {{ dbt.type_bigint() }})
            as total_first_response_seconds,
        cast(total_first_response_seconds as {{ type_double() }})
        / 60 / nullif(tickets_with_first_response, 0) as average_first_response_minutes,
        cast(resolved_tickets as {{ dbt.type_bigint() }}) as resolved_tickets,
        cast(total_resolution_seconds as {{ dbt.type_bigint() }}) as total_resolution_seconds,
        cast(total_resolution_seconds as {{ type_double() }})
        / 3600 / nullif(resolved_tickets, 0) as average_resolution_hours,
        cast(support_csat_responses as {{ dbt.type_bigint() }}) as support_csat_responses,
        cast(support_csat_satisfied as {{ dbt.type_bigint() }}) as support_csat_satisfied,
        cast(100 * support_csat_satisfied as {{ type_double() }})
        / nullif(support_csat_responses, 0) as support_csat,
        cast(coupon_orders as {{ dbt.type_bigint() }}) as coupon_orders,
        cast(coupon_orders as {{ type_double() }}) / nullif(orders, 0)
            as coupon_redemption_rate,
        cast(emails_sent as {{ dbt.type_bigint() }}) as emails_sent,
        cast(emails_delivered as {{ dbt.type_bigint() }}) as emails_delivered,
        cast(emails_opened as {{ dbt.type_bigint() }}) as emails_opened,
        cast(emails_clicked as {{ dbt.type_bigint() }}) as emails_clicked,
        cast(emails_opened as {{ type_double() }}) / nullif(emails_delivered, 0)
            as email_open_rate,
        cast(emails_clicked as {{ type_double() }}) / nullif(emails_delivered, 0)
            as email_click_rate
    from cumulated

)

select * from final
