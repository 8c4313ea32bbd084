{#
    One row per unified customer (marts.dim_customers), everything known about them, without
    raw PII: the customer is identified by customer_id and the salted email_hash only.

    Sections come from the intermediate models in models/intermediate/customer_360; each is left
    joined, so a customer missing from a section (no orders, never seen on the web) gets nulls
    for its values and 0 for its counts.

    The ML columns come from the ml.* tables the ML assets write (orchestration/defs/ml.py):
    segment (RFM named segment), churn_probability, clv (expected value over the CLV horizon)
    and next_best_offer (the category of the best offer); null for a customer a model does not
    cover (those without a purchase). The ML features read this profile's inputs
    (features), never this model, so there is no cycle.
#}
{%- set loyalty_lapsed_days = var('loyalty_lapsed_days', 180) -%}
{%- set loyalty_vip_orders = var('loyalty_vip_orders', 5) -%}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

transactions as (

    select * from {{ ref('int_customer_360__transactions') }}

),

web_activity as (

    select * from {{ ref('int_customer_360__web_activity') }}

),

engagement as (

    select * from {{ ref('int_customer_360__engagement') }}

),

feedback as (

    select * from {{ ref('int_customer_360__feedback') }}

),

support as (

    select * from {{ ref('int_customer_360__support') }}

),

as_of as (

    select * from {{ ref('int_customer_360__as_of') }}

),

segments as (

    select * from {{ source('ml', 'customer_segments') }}

),

churn_predictions as (

    select * from {{ source('ml', 'churn_predictions') }}

),

clv_predictions as (

    select * from {{ source('ml', 'clv_predictions') }}

),

best_offers as (

    select * from {{ source('ml', 'next_best_offers') }}
    where offer_rank = 1

),

ml_scores as (

    select
        customers.customer_id,
        cast(segments.segment as {{ dbt.type_string() }}) as segment,
        cast(churn_predictions.churn_probability as {{ type_double() }}) as churn_probability,
        cast(clv_predictions.expected_value as {{ type_double() }}) as clv,
        cast(best_offers.category as {{ dbt.type_string() }}) as next_best_offer
    from customers
    left outer join segments
        on customers.customer_id = segments.customer_id
    left outer join churn_predictions
        on customers.customer_id = churn_predictions.customer_id
    left outer join clv_predictions
        on customers.customer_id = clv_predictions.customer_id
    left outer join best_offers
        on customers.customer_id = best_offers.customer_id

),

year_differences as (

    select
        customers.customer_id,
        customers.birth_date,
        as_of.as_of_at,
        {{ dbt.datediff('customers.birth_date', 'as_of.as_of_at', 'year') }}
            as year_difference
    from customers
    cross join as_of

),

ages as (

    -- whole years lived: datediff counts year boundaries, so one less before the birthday
    select
        customer_id,
        year_difference - case
            when {{ dbt.dateadd('year', 'year_difference', 'birth_date') }} > as_of_at then 1
            else 0
        end as age_years
    from year_differences

),

final as (

    select
        -- identity (no raw PII)
        customers.customer_id,
        cast(customers.email_hash as {{ dbt.type_string() }}) as email_hash,

        -- demographic
        cast(customers.gender as {{ dbt.type_string() }}) as gender,
        cast(case
            when ages.age_years is null or ages.age_years < 0 then null
            when ages.age_years < 25 then 'under_25'
            when ages.age_years < 35 then '25_34'
            when ages.age_years < 45 then '35_44'
            when ages.age_years < 55 then '45_54'
            when ages.age_years < 65 then '55_64'
            else '65_plus'
        end as {{ dbt.type_string() }}) as age_band,
        cast(customers.city as {{ dbt.type_string() }}) as city,
        cast(customers.country as {{ dbt.type_string() }}) as country,
        cast(customers.income_band as {{ dbt.type_string() }}) as income_band,

        -- transactional
        transactions.first_order_at,
        transactions.last_order_at,
        cast(coalesce(transactions.orders, 0) as {{ dbt.type_bigint() }}) as orders,
        cast(coalesce(transactions.revenue, 0) as {{ type_double() }}) as revenue,
        cast(transactions.average_order_value as {{ type_double() }}) as average_order_value,
        cast(transactions.recency_days as {{ dbt.type_bigint() }}) as recency_days,
        cast(transactions.tenure_days as {{ dbt.type_bigint() }}) as tenure_days,
        cast(transactions.recency_score as {{ dbt.type_int() }}) as recency_score,
        cast(transactions.frequency_score as {{ dbt.type_int() }}) as frequency_score,
        cast(transactions.monetary_score as {{ dbt.type_int() }}) as monetary_score,
        cast(coalesce(transactions.rfm_segment, 'prospect') as {{ dbt.type_string() }})
            as rfm_segment,
        cast(coalesce(transactions.orders_with_coupon, 0) as {{ dbt.type_bigint() }})
            as orders_with_coupon,
        cast(transactions.top_purchased_category as {{ dbt.type_string() }})
            as top_purchased_category,

        -- behavioural
        cast(coalesce(web_activity.sessions, 0) as {{ dbt.type_bigint() }}) as sessions,
        cast(coalesce(web_activity.page_views, 0) as {{ dbt.type_bigint() }}) as page_views,
        cast(coalesce(web_activity.product_views, 0) as {{ dbt.type_bigint() }})
            as product_views,
        cast(coalesce(web_activity.searches, 0) as {{ dbt.type_bigint() }}) as searches,
        cast(coalesce(web_activity.add_to_carts, 0) as {{ dbt.type_bigint() }}) as add_to_carts,
        web_activity.first_seen_at,
        web_activity.last_seen_at,
        cast(web_activity.top_viewed_category as {{ dbt.type_string() }}) as top_viewed_category,
        cast(web_activity.preferred_device as {{ dbt.type_string() }}) as preferred_device,

        -- engagement
        cast(coalesce(engagement.emails_sent, 0) as {{ dbt.type_bigint() }}) as emails_sent,
        cast(coalesce(engagement.email_opens, 0) as {{ dbt.type_bigint() }}) as email_opens,
        cast(coalesce(engagement.email_clicks, 0) as {{ dbt.type_bigint() }}) as email_clicks,
        cast(coalesce(engagement.email_bounces, 0) as {{ dbt.type_bigint() }}) as email_bounces,
        cast(coalesce(engagement.email_unsubscribes, 0) as {{ dbt.type_bigint() }})
            as email_unsubscribes,
        engagement.last_email_engaged_at,
        cast(engagement.preferred_channel as {{ dbt.type_string() }}) as preferred_channel,
        cast(engagement.best_hour_of_day as {{ dbt.type_int() }}) as best_hour_of_day,
        cast(engagement.best_weekday as {{ dbt.type_string() }}) as best_weekday,
        cast(customers.has_email_consent as {{ dbt.type_boolean() }}) as has_email_consent,
        cast(customers.has_sms_consent as {{ dbt.type_boolean() }}) as has_sms_consent,

        -- feedback
        cast(coalesce(feedback.nps_responses, 0) as {{ dbt.type_bigint() }}) as nps_responses,
        cast(feedback.last_nps_score as {{ dbt.type_int() }}) as last_nps_score,
        feedback.last_nps_at,
        cast(feedback.nps_category as {{ dbt.type_string() }}) as nps_category,
        cast(coalesce(feedback.csat_responses, 0) as {{ dbt.type_bigint() }}) as csat_responses,
        cast(feedback.average_csat as {{ type_double() }}) as average_csat,
        cast(coalesce(feedback.reviews, 0) as {{ dbt.type_bigint() }}) as reviews,
        cast(feedback.average_review_rating as {{ type_double() }}) as average_review_rating,
        cast(feedback.average_review_sentiment as {{ type_double() }})
            as average_review_sentiment,
        cast(feedback.average_sentiment as {{ type_double() }}) as average_sentiment,
        cast(feedback.sentiment_label as {{ dbt.type_string() }}) as sentiment_label,
        cast(feedback.top_feedback_theme as {{ dbt.type_string() }}) as top_feedback_theme,

        -- support
        cast(coalesce(support.tickets, 0) as {{ dbt.type_bigint() }}) as tickets,
        cast(coalesce(support.open_tickets, 0) as {{ dbt.type_bigint() }}) as open_tickets,
        support.last_ticket_at,
        cast(support.average_first_response_hours as {{ type_double() }})
            as average_first_response_hours,
        cast(support.average_resolution_hours as {{ type_double() }})
            as average_resolution_hours,

        -- interests and lifecycle
        cast(customers.interests as {{ dbt.type_string() }}) as interests,
        cast(customers.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(case
            when coalesce(transactions.orders, 0) = 0 then 'prospect'
            when transactions.recency_days > {{ loyalty_lapsed_days }} then 'lapsed'
            when transactions.orders >= {{ loyalty_vip_orders }} then 'vip'
            when transactions.orders >= 3 then 'loyal'
            when transactions.orders = 2 then 'repeat'
            else 'one_time'
        end as {{ dbt.type_string() }}) as loyalty_tier,

        -- machine learning (ml.* tables; null where a model does not cover the customer)
        ml_scores.segment,
        ml_scores.churn_probability,
        ml_scores.clv,
        ml_scores.next_best_offer,

        as_of.as_of_at
    from customers
    cross join as_of
    left outer join ages
        on customers.customer_id = ages.customer_id
    left outer join transactions
        on customers.customer_id = transactions.customer_id
    left outer join web_activity
        on customers.customer_id = web_activity.customer_id
    left outer join engagement
        on customers.customer_id = engagement.customer_id
    left outer join feedback
        on customers.customer_id = feedback.customer_id
    left outer join support
        on customers.customer_id = support.customer_id
    left outer join ml_scores
        on customers.customer_id = ml_scores.customer_id

)

select * from final
