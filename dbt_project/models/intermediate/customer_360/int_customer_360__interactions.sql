{#
    Every interaction a customer started, one row each, in one shape: email opens and clicks,
    web and app sessions (int_web__sessions, at their start), orders (by order channel:
    web, app or store), support tickets (by ticket channel), survey responses and reviews.
    Business-initiated events (emails sent or delivered) are not interactions; bounces and
    unsubscribes are kept apart in int_customer_360__email_engagement.

    The basis of each customer's preferred channel and best hour and weekday to reach them.
    Rows without a unified customer_id are kept (customer_id null) for channel-level insights.
#}
with

messages as (

    select * from {{ ref('stg_marketing__messages') }}
    where event_type in ('opened', 'clicked')

),

sessions as (

    select * from {{ ref('int_customer_360__web_sessions') }}

),

orders as (

    select * from {{ ref('int_customer_360__orders') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

reviews as (

    select * from {{ ref('stg_feedback__reviews') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where customer_id is not null

),

email_interactions as (

    select
        identity_map.customer_id,
        messages.occurred_at,
        'email' as channel,
        'email_' || messages.event_type as interaction_type
    from messages
    left outer join identity_map
        on
            identity_map.source = 'crm'
            and identity_map.source_table = 'contacts'
            and messages.contact_id = identity_map.source_key

),

session_interactions as (

    select
        customer_id,
        session_started_at as occurred_at,
        channel,
        'session' as interaction_type
    from sessions

),

order_interactions as (

    select
        customer_id,
        ordered_at as occurred_at,
        coalesce(channel, 'web') as channel,
        'order' as interaction_type
    from orders

),

ticket_interactions as (

    select
        identity_map.customer_id,
        tickets.created_at as occurred_at,
        'support' as channel,
        'ticket' as interaction_type
    from tickets
    left outer join identity_map
        on
            identity_map.source = 'support'
            and identity_map.source_table = 'tickets'
            and tickets.ticket_id = identity_map.source_key

),

response_interactions as (

    select
        identity_map.customer_id,
        responses.submitted_at as occurred_at,
        'survey' as channel,
        'survey_response' as interaction_type
    from responses
    left outer join identity_map
        on
            identity_map.source = 'surveys'
            and identity_map.source_table = 'responses'
            and responses.response_id = identity_map.source_key

),

review_interactions as (

    select
        identity_map.customer_id,
        reviews.posted_at as occurred_at,
        'review' as channel,
        'review' as interaction_type
    from reviews
    left outer join identity_map
        on
            identity_map.source = 'feedback'
            and identity_map.source_table = 'reviews'
            and reviews.review_id = identity_map.source_key

),

unioned as (

    select * from email_interactions
    union all
    select * from session_interactions
    union all
    select * from order_interactions
    union all
    select * from ticket_interactions
    union all
    select * from response_interactions
    union all
    select * from review_interactions

),

final as (

    select
        customer_id,
        occurred_at,
        channel,
        interaction_type,
        {{ day_of_week('occurred_at') }} as day_of_week,
        {{ weekday_name('occurred_at') }} as weekday_name,
        {{ hour_of_day('occurred_at') }} as hour_of_day
    from unioned
    where occurred_at is not null

)

select * from final
