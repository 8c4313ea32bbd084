{#
    kpi_daily rolled up to calendar months: counts and totals are summed, rates recomputed from
    the summed numerators and denominators, "to date" figures taken at the month's last day and
    the customer base at its first day. Distinct-customer counts (purchasing, returning, active)
    are not additive over days and are counted again per month.
#}
with

daily as (

    select * from {{ ref('kpi_daily') }}

),

orders as (

    select * from {{ ref('int_journeys__orders') }}

),

touchpoints as (

    select * from {{ ref('fct_customer_touchpoints') }}

),

days as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'kpi_date') }} as date) as kpi_month
    from daily

),

month_bounds as (

    select
        kpi_month,
        min(kpi_date) as first_date,
        max(kpi_date) as last_date
    from days
    group by 1

),

monthly_totals as (

    select
        kpi_month,
        sum(revenue) as revenue,
        sum(orders) as orders,
        sum(new_customers) as new_customers,
        sum(sessions) as sessions,
        sum(purchase_sessions) as purchase_sessions,
        sum(leads_created) as leads_created,
        sum(leads_converted) as leads_converted,
        sum(churned_customers) as churned_customers,
        sum(nps_responses) as nps_responses,
        sum(nps_promoters) as nps_promoters,
        sum(nps_detractors) as nps_detractors,
        sum(csat_responses) as csat_responses,
        sum(csat_satisfied) as csat_satisfied,
        sum(csat_score_total) as csat_score_total,
        sum(surveyed_orders) as surveyed_orders,
        sum(tickets) as tickets,
        sum(tickets_with_queue_time) as tickets_with_queue_time,
        sum(total_queue_seconds) as total_queue_seconds,
        sum(tickets_with_first_response) as tickets_with_first_response,
        sum(total_first_response_seconds) as total_first_response_seconds,
        sum(resolved_tickets) as resolved_tickets,
        sum(total_resolution_seconds) as total_resolution_seconds,
        sum(support_csat_responses) as support_csat_responses,
        sum(support_csat_satisfied) as support_csat_satisfied,
        sum(coupon_orders) as coupon_orders,
        sum(emails_sent) as emails_sent,
        sum(emails_delivered) as emails_delivered,
        sum(emails_opened) as emails_opened,
        sum(emails_clicked) as emails_clicked
    from days
    group by 1

),

month_ends as (

    select
        month_bounds.kpi_month,
        month_end.customers_to_date,
        month_end.repeat_customers_to_date,
        month_start.customer_base_at_start
    from month_bounds
    inner join days as month_end
        on month_bounds.last_date = month_end.kpi_date
    inner join days as month_start
        on month_bounds.first_date = month_start.kpi_date

),

order_months as (

    select
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as kpi_month,
        -- One currency per shop; min() rather than mode() runs on every engine.
        min(currency) as currency,
        count(distinct customer_id) as purchasing_customers,
        count(
            distinct case
                when
                    first_ordered_at
                    < cast({{ dbt.date_trunc('month', 'ordered_at') }} as date)
                    then customer_id
            end
        ) as returning_customers
    from orders
    group by 1

),

active_months as (

    select
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as kpi_month,
        count(distinct customer_id) as active_customers
    from touchpoints
    where touchpoint_type != 'contact_created'
    group by 1

),

final as (

    select
        monthly_totals.kpi_month,
        cast(monthly_totals.revenue as {{ type_double() }}) as revenue,
        cast(order_months.currency as {{ dbt.type_string() }}) as currency,
        cast(monthly_totals.orders as {{ dbt.type_bigint() }}) as orders,
        cast(monthly_totals.revenue as {{ type_double() }})
        / nullif(monthly_totals.orders, 0) as average_order_value,
        cast(monthly_totals.new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(coalesce(order_months.returning_customers, 0) as {{ dbt.type_bigint() }})
            as returning_customers,
        cast(coalesce(order_months.purchasing_customers, 0) as {{ dbt.type_bigint() }})
            as purchasing_customers,
        cast(coalesce(active_months.active_customers, 0) as {{ dbt.type_bigint() }})
            as active_customers,
        cast(monthly_totals.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(monthly_totals.purchase_sessions as {{ dbt.type_bigint() }}) as purchase_sessions,
        cast(monthly_totals.purchase_sessions as {{ type_double() }})
        / nullif(monthly_totals.sessions, 0) as session_conversion_rate,
        cast(monthly_totals.leads_created as {{ dbt.type_bigint() }}) as leads_created,
        cast(monthly_totals.leads_converted as {{ dbt.type_bigint() }}) as leads_converted,
        cast(monthly_totals.leads_converted as {{ type_double() }})
        / nullif(monthly_totals.leads_created, 0) as lead_conversion_rate,
        cast(month_ends.customers_to_date as {{ dbt.type_bigint() }}) as customers_to_date,
        cast(month_ends.repeat_customers_to_date as {{ dbt.type_bigint() }})
            as repeat_customers_to_date,
        cast(month_ends.repeat_customers_to_date as {{ type_double() }})
        / nullif(month_ends.customers_to_date, 0) as repeat_purchase_rate,
        cast(month_ends.customer_base_at_start as {{ dbt.type_bigint() }})
            as customer_base_at_start,
        cast(monthly_totals.churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(monthly_totals.churned_customers as {{ type_double() }})
        / nullif(month_ends.customer_base_at_start, 0) as churn_rate,
        cast(monthly_totals.nps_responses as {{ dbt.type_bigint() }}) as nps_responses,
        cast(monthly_totals.nps_promoters as {{ dbt.type_bigint() }}) as nps_promoters,
        cast(monthly_totals.nps_detractors as {{ dbt.type_bigint() }}) as nps_detractors,
        cast(
            100 * (monthly_totals.nps_promoters - monthly_totals.nps_detractors)
            as {{ type_double() }}
        )
        / nullif(monthly_totals.nps_responses, 0) as nps,
        cast(monthly_totals.csat_responses as {{ dbt.type_bigint() }}) as csat_responses,
        cast(monthly_totals.csat_satisfied as {{ dbt.type_bigint() }}) as csat_satisfied,
        cast(monthly_totals.csat_score_total as {{ dbt.type_bigint() }}) as csat_score_total,
        cast(100 * monthly_totals.csat_satisfied as {{ type_double() }})
        / nullif(monthly_totals.csat_responses, 0) as csat,
        cast(monthly_totals.csat_score_total as {{ type_double() }})
        / nullif(monthly_totals.csat_responses, 0) as average_csat_score,
        cast(monthly_totals.surveyed_orders as {{ dbt.type_bigint() }}) as surveyed_orders,
        cast(monthly_totals.surveyed_orders as {{ type_double() }})
        / nullif(monthly_totals.orders, 0) as survey_response_rate,
        cast(monthly_totals.tickets as {{ dbt.type_bigint() }}) as tickets,
        cast(monthly_totals.tickets_with_queue_time as {{ dbt.type_bigint() }})
            as tickets_with_queue_time,
        cast(monthly_totals.total_queue_seconds as {{ dbt.type_bigint() }})
            as total_queue_seconds,
        cast(monthly_totals.total_queue_seconds as {{ type_double() }})
        / nullif(monthly_totals.tickets_with_queue_time, 0) as average_queue_seconds,
        cast(monthly_totals.tickets_with_first_response as {{ dbt.type_bigint() }})
            as tickets_with_first_response,
        cast(monthly_totals.total_first_response_seconds as {{ dbt.type_bigint() }})
            as total_first_response_seconds,
        cast(monthly_totals.total_first_response_seconds as {{ type_double() }})
        / 60 / nullif(monthly_totals.tickets_with_first_response, 0)
            as average_first_response_minutes,
        cast(monthly_totals.resolved_tickets as {{ dbt.type_bigint() }}) as resolved_tickets,
        cast(monthly_totals.total_resolution_seconds as {{ dbt.type_bigint() }})
            as total_resolution_seconds,
        cast(monthly_totals.total_resolution_seconds as {{ type_double() }})
        / 3600 / nullif(monthly_totals.resolved_tickets, 0) as average_resolution_hours,
        cast(monthly_totals.support_csat_responses as {{ dbt.type_bigint() }})
            as support_csat_responses,
        cast(monthly_totals.support_csat_satisfied as {{ dbt.type_bigint() }})
            as support_csat_satisfied,
        cast(100 * monthly_totals.support_csat_satisfied as {{ type_double() }})
        / nullif(monthly_totals.support_csat_responses, 0) as support_csat,
        cast(monthly_totals.coupon_orders as {{ dbt.type_bigint() }}) as coupon_orders,
        cast(monthly_totals.coupon_orders as {{ type_double() }})
        / nullif(monthly_totals.orders, 0) as coupon_redemption_rate,
        cast(monthly_totals.emails_sent as {{ dbt.type_bigint() }}) as emails_sent,
        cast(monthly_totals.emails_delivered as {{ dbt.type_bigint() }}) as emails_delivered,
        cast(monthly_totals.emails_opened as {{ dbt.type_bigint() }}) as emails_opened,
        cast(monthly_totals.emails_clicked as {{ dbt.type_bigint() }}) as emails_clicked,
        cast(monthly_totals.emails_opened as {{ type_double() }})
        / nullif(monthly_totals.emails_delivered, 0) as email_open_rate,
        cast(monthly_totals.emails_clicked as {{ type_double() }})
        / nullif(monthly_totals.emails_delivered, 0) as email_click_rate
    from monthly_totals
    inner join month_ends
        on monthly_totals.kpi_month = month_ends.kpi_month
    left outer join order_months
        on monthly_totals.kpi_month = order_months.kpi_month
    left outer join active_months
        on monthly_totals.kpi_month = active_months.kpi_month

)

select * from final
