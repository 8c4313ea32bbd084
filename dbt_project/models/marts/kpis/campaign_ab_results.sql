{#
    Results of every email campaign, per variant, and of each A/B test: variants of one test are
    the campaigns that share a name and a start day (each variant is its own campaign_id); the
    control is variant A (the first variant in alphabetical order).

    Per variant: recipients (contacts mailed), deliveries, unique opens and clicks, conversions
    (recipients whose customer placed a sale within var('campaign_conversion_window_days') (7)
    days after the mailing) and coupon redemptions (such a sale that used the campaign's coupon
    code). Rates are per delivered email. Lift is a variant's rate over the control's, minus 1;
    the p-values are two-sided two-proportion z-tests (pooled) of the variant against the
    control, computed in SQL (macros/statistics/normal_two_sided_p_value.sql).
#}
{%- set window_days = var('campaign_conversion_window_days', 7) -%}

with

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

deliveries as (

    select * from {{ ref('int_journeys__email_deliveries') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where source = 'crm' and source_table = 'contacts'

),

orders as (

    select * from {{ ref('int_journeys__orders') }}
    where customer_id is not null

),

recipients as (

    select
        deliveries.campaign_id,
        deliveries.contact_id,
        deliveries.mailed_at,
        deliveries.is_delivered,
        deliveries.has_opened,
        deliveries.has_clicked,
        deliveries.has_unsubscribed,
        identity_map.customer_id,
        campaigns.coupon_code
    from deliveries
    inner join campaigns
        on deliveries.campaign_id = campaigns.campaign_id
    left outer join identity_map
        on deliveries.contact_id = identity_map.source_key

),

recipient_orders as (

    select
        recipients.campaign_id,
        recipients.contact_id,
        count(*) as orders,
        count(
            case when upper(orders.coupon_code) = upper(recipients.coupon_code) then 1 end
        ) as coupon_orders,
        sum(orders.amount) as revenue
    from recipients
    inner join orders
        on
            recipients.customer_id = orders.customer_id
            and recipients.mailed_at < orders.ordered_at
            and orders.ordered_at
            <= {{ dbt.dateadd('day', window_days, 'recipients.mailed_at') }}
    group by 1, 2

),

variant_totals as (

    select
        recipients.campaign_id,
        count(*) as recipients,
        count(case when recipients.is_delivered then 1 end) as delivered,
        count(case when recipients.is_delivered and recipients.has_opened then 1 end)
            as opens,
        count(case when recipients.is_delivered and recipients.has_clicked then 1 end)
            as clicks,
        count(case when recipients.has_unsubscribed then 1 end) as unsubscribes,
        count(case when recipients.is_delivered and recipient_orders.orders > 0 then 1 end)
            as conversions,
        count(
            case when recipients.is_delivered and recipient_orders.coupon_orders > 0 then 1 end
        ) as coupon_redemptions,
        coalesce(
            sum(case when recipients.is_delivered then recipient_orders.revenue end), 0
        ) as revenue
    from recipients
    left outer join recipient_orders
        on
            recipients.campaign_id = recipient_orders.campaign_id
            and recipients.contact_id = recipient_orders.contact_id
    group by 1

),

variants as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        cast(campaigns.started_at as date) as started_date,
        campaigns.variant,
        campaigns.offer,
        campaigns.coupon_code,
        variant_totals.recipients,
        variant_totals.delivered,
        variant_totals.opens,
        variant_totals.clicks,
        variant_totals.unsubscribes,
        variant_totals.conversions,
        variant_totals.coupon_redemptions,
        variant_totals.revenue,
        min(campaigns.variant) over (
            partition by campaigns.campaign_name, cast(campaigns.started_at as date)
        ) as control_variant
    from campaigns
    inner join variant_totals
        on campaigns.campaign_id = variant_totals.campaign_id

),

compared as (

    select
        variants.*,
        control.campaign_id as control_campaign_id,
        control.delivered as control_delivered,
        control.opens as control_opens,
        control.clicks as control_clicks,
        control.conversions as control_conversions
    from variants
    left outer join variants as control
        on
            variants.campaign_name = control.campaign_name
            and variants.started_date = control.started_date
            and variants.control_variant = control.variant
            and variants.campaign_id != control.campaign_id

),

rated as (

    select
        *,
        cast(opens as {{ type_double() }}) / nullif(delivered, 0) as open_rate,
        cast(clicks as {{ type_double() }}) / nullif(delivered, 0) as click_rate,
        cast(conversions as {{ type_double() }}) / nullif(delivered, 0) as conversion_rate,
        cast(coupon_redemptions as {{ type_double() }}) / nullif(delivered, 0)
            as coupon_redemption_rate,
        cast(control_opens as {{ type_double() }}) / nullif(control_delivered, 0)
            as control_open_rate,
        cast(control_clicks as {{ type_double() }}) / nullif(control_delivered, 0)
            as control_click_rate,
        cast(control_conversions as {{ type_double() }}) / nullif(control_delivered, 0)
            as control_conversion_rate,
        {{ two_proportion_z('control_opens', 'control_delivered', 'opens', 'delivered') }}
            as open_z,
        {{ two_proportion_z('control_clicks', 'control_delivered', 'clicks', 'delivered') }}
            as click_z,
        {{ two_proportion_z(
            'control_conversions', 'control_delivered', 'conversions', 'delivered'
        ) }} as conversion_z
    from compared

),

final as (

    select
        campaign_id,
        campaign_name as ab_test_name,
        started_date,
        variant,
        variant is not null and variant = control_variant as is_control,
        control_campaign_id,
        offer,
        coupon_code,
        cast(recipients as {{ dbt.type_bigint() }}) as recipients,
        cast(delivered as {{ dbt.type_bigint() }}) as delivered,
        cast(opens as {{ dbt.type_bigint() }}) as opens,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(unsubscribes as {{ dbt.type_bigint() }}) as unsubscribes,
        cast(conversions as {{ dbt.type_bigint() }}) as conversions,
        cast(coupon_redemptions as {{ dbt.type_bigint() }}) as coupon_redemptions,
        cast(revenue as {{ type_double() }}) as revenue,
        open_rate,
        click_rate,
        conversion_rate,
        coupon_redemption_rate,
        open_rate / nullif(control_open_rate, 0) - 1 as open_rate_lift,
        click_rate / nullif(control_click_rate, 0) - 1 as click_rate_lift,
        conversion_rate / nullif(control_conversion_rate, 0) - 1 as conversion_rate_lift,
        {{ normal_two_sided_p_value('open_z') }} as open_rate_p_value,
        {{ normal_two_sided_p_value('click_z') }} as click_rate_p_value,
        {{ normal_two_sided_p_value('conversion_z') }} as conversion_rate_p_value
    from rated

)

select * from final
