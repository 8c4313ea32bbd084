{#
    Point-in-time customer features for the ML models: one row per customer and cutoff
    (feature_cutoffs: scoring, churn_training, churn_backtest) for every customer seen on or
    before the cutoff (a sale or any interaction). Every count and date uses only events on or before
    cutoff_date, so adding or changing later data changes no row.

    Profile attributes (gender, birth date, country, income band, interests) are the current
    golden record of dim_customers: they describe the person, not their behaviour. Lifecycle
    stage and consent are left out on purpose: they change because a customer buys or leaves,
    and their current value would leak the outcome into training.

    Reads the customer_360 inputs, never marts.customer_360 (which reads the ml tables).
#}
{%- set recent_days = 90 -%}

with

cutoffs as (

    select * from {{ ref('feature_cutoffs') }}
    where cutoff_name in ('scoring', 'churn_training', 'churn_backtest')

),

customers as (

    select * from {{ ref('dim_customers') }}

),

sales as (

    select
        customer_id,
        cast(ordered_at as date) as ordered_date,
        amount,
        coupon_code,
        channel
    from {{ ref('int_customer_360__orders') }}
    where customer_id is not null and is_sale and amount >= 0

),

interactions as (

    select
        customer_id,
        cast(occurred_at as date) as occurred_date,
        interaction_type
    from {{ ref('int_customer_360__interactions') }}
    where customer_id is not null

),

web_events as (

    select
        customer_id,
        cast(occurred_at as date) as occurred_date,
        event_type
    from {{ ref('int_customer_360__web_events') }}
    where customer_id is not null and event_type in ('product_view', 'add_to_cart', 'search')

),

order_history as (

    select
        cutoffs.cutoff_name,
        sales.customer_id,
        count(*) as orders,
        sum(sales.amount) as revenue,
        min(sales.ordered_date) as first_order_date,
        max(sales.ordered_date) as last_order_date,
        sum(case
            when sales.ordered_date > {{ dbt.dateadd('day', -recent_days, 'cutoffs.cutoff_date') }}
                then 1
            else 0
        end) as orders_last_90_days,
        sum(case
            when sales.ordered_date > {{ dbt.dateadd('day', -recent_days, 'cutoffs.cutoff_date') }}
                then sales.amount
            else 0
        end) as revenue_last_90_days,
        sum(case when sales.coupon_code is not null then 1 else 0 end) as orders_with_coupon,
        sum(case when sales.channel = 'store' then 1 else 0 end) as store_orders,
        sum(case when sales.channel = 'app' then 1 else 0 end) as app_orders
    from cutoffs
    inner join sales
        on cutoffs.cutoff_date >= sales.ordered_date
    group by 1, 2

),

interaction_history as (

    select
        cutoffs.cutoff_name,
        interactions.customer_id,
        min(interactions.occurred_date) as first_interaction_date,
        max(interactions.occurred_date) as last_interaction_date,
        sum(case when interactions.interaction_type = 'session' then 1 else 0 end) as sessions,
        sum(case
            when
                interactions.interaction_type = 'session'
                and interactions.occurred_date
                > {{ dbt.dateadd('day', -recent_days, 'cutoffs.cutoff_date') }}
                then 1
            else 0
        end) as sessions_last_90_days,
        max(case
            when interactions.interaction_type = 'session' then interactions.occurred_date
        end) as last_session_date,
        sum(case
            when interactions.interaction_type = 'email_opened' then 1 else 0
        end) as email_opens,
        sum(case
            when interactions.interaction_type = 'email_clicked' then 1 else 0
        end) as email_clicks,
        max(case
            when interactions.interaction_type in ('email_opened', 'email_clicked')
                then interactions.occurred_date
        end) as last_email_engagement_date,
        sum(case when interactions.interaction_type = 'ticket' then 1 else 0 end) as tickets,
        sum(case
            when interactions.interaction_type in ('survey_response', 'review') then 1 else 0
        end) as feedback_given
    from cutoffs
    inner join interactions
        on cutoffs.cutoff_date >= interactions.occurred_date
    group by 1, 2

),

browsing_history as (

    select
        cutoffs.cutoff_name,
        web_events.customer_id,
        sum(case when web_events.event_type = 'product_view' then 1 else 0 end)
            as product_views,
        sum(case when web_events.event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when web_events.event_type = 'search' then 1 else 0 end) as searches
    from cutoffs
    inner join web_events
        on cutoffs.cutoff_date >= web_events.occurred_date
    group by 1, 2

),

profiles as (

    select
        cutoffs.cutoff_name,
        customers.customer_id,
        customers.gender,
        customers.country,
        customers.income_band,
        customers.interests,
        {{ dbt.datediff('customers.birth_date', 'cutoffs.cutoff_date', 'day') }}
            as days_lived
    from customers
    cross join cutoffs

),

population as (

    select
        cutoff_name,
        customer_id
    from order_history
    union
    select
        cutoff_name,
        customer_id
    from interaction_history

),

final as (

    select
        cast(population.cutoff_name as {{ dbt.type_string() }}) as cutoff_name,
        cutoffs.cutoff_date,
        population.customer_id,

        -- profile
        cast(profiles.gender as {{ dbt.type_string() }}) as gender,
        cast(floor(profiles.days_lived / 365.25) as {{ dbt.type_int() }}) as age_years,
        cast(profiles.country as {{ dbt.type_string() }}) as country,
        cast(profiles.income_band as {{ dbt.type_string() }}) as income_band,
        cast(profiles.interests as {{ dbt.type_string() }}) as interests,

        -- purchases
        cast(coalesce(order_history.orders, 0) as {{ dbt.type_int() }}) as orders,
        cast(coalesce(order_history.revenue, 0) as {{ type_double() }}) as revenue,
        cast(order_history.revenue as {{ type_double() }})
        / order_history.orders as average_order_value,
        cast(coalesce(order_history.orders_last_90_days, 0) as {{ dbt.type_int() }})
            as orders_last_90_days,
        cast(coalesce(order_history.revenue_last_90_days, 0) as {{ type_double() }})
            as revenue_last_90_days,
        cast(coalesce(order_history.orders_with_coupon, 0) as {{ dbt.type_int() }})
            as orders_with_coupon,
        cast(coalesce(order_history.store_orders, 0) as {{ dbt.type_int() }}) as store_orders,
        cast(coalesce(order_history.app_orders, 0) as {{ dbt.type_int() }}) as app_orders,
        order_history.first_order_date,
        order_history.last_order_date,
        {{ dbt.datediff('order_history.first_order_date', 'cutoffs.cutoff_date', 'day') }}
            as days_since_first_order,
        {{ dbt.datediff('order_history.last_order_date', 'cutoffs.cutoff_date', 'day') }}
            as days_since_last_order,

        -- browsing and engagement
        cast(coalesce(interaction_history.sessions, 0) as {{ dbt.type_int() }}) as sessions,
        cast(coalesce(interaction_history.sessions_last_90_days, 0) as {{ dbt.type_int() }})
            as sessions_last_90_days,
        {{ dbt.datediff('interaction_history.last_session_date', 'cutoffs.cutoff_date', 'day') }}
            as days_since_last_session,
        cast(coalesce(browsing_history.product_views, 0) as {{ dbt.type_int() }})
            as product_views,
        cast(coalesce(browsing_history.add_to_carts, 0) as {{ dbt.type_int() }}) as add_to_carts,
        cast(coalesce(browsing_history.searches, 0) as {{ dbt.type_int() }}) as searches,
        cast(coalesce(interaction_history.email_opens, 0) as {{ dbt.type_int() }})
            as email_opens,
        cast(coalesce(interaction_history.email_clicks, 0) as {{ dbt.type_int() }})
            as email_clicks,
        {{ dbt.datediff(
            'interaction_history.last_email_engagement_date', 'cutoffs.cutoff_date', 'day'
        ) }} as days_since_last_email_engagement,

        -- service and feedback
        cast(coalesce(interaction_history.tickets, 0) as {{ dbt.type_int() }}) as tickets,
        cast(coalesce(interaction_history.feedback_given, 0) as {{ dbt.type_int() }})
            as feedback_given,

        -- first known activity of any kind (a sale or an interaction)
        {%- set first_seen_date =
            'coalesce(interaction_history.first_interaction_date, order_history.first_order_date)'
        %}
        {{ dbt.datediff(first_seen_date, 'cutoffs.cutoff_date', 'day') }}
            as days_since_first_seen
    from population
    inner join cutoffs
        on population.cutoff_name = cutoffs.cutoff_name
    left outer join profiles
        on
            population.cutoff_name = profiles.cutoff_name
            and population.customer_id = profiles.customer_id
    left outer join order_history
        on
            population.cutoff_name = order_history.cutoff_name
            and population.customer_id = order_history.customer_id
    left outer join interaction_history
        on
            population.cutoff_name = interaction_history.cutoff_name
            and population.customer_id = interaction_history.customer_id
    left outer join browsing_history
        on
            population.cutoff_name = browsing_history.cutoff_name
            and population.customer_id = browsing_history.customer_id

)

select * from final
