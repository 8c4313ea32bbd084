{#
    Deterministic link candidates: which identifier each record carries. Records that carry the
    same (identifier_type, identifier_value) are linked by ml/identity, which first checks that
    a shared email or phone is not used by several people (the over-merge guard). Kept in this
    long form rather than as record pairs: a pair table grows with the square of the records
    sharing a value, and a value shared by thousands of records is exactly the case to catch.

    The rule a record carries its identifier by gives the link its name and confidence (below).
#}
{%- set review_min_days, review_max_days = var('review_days_after_order') %}

with

records as (

    select * from {{ ref('int_identity__records') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

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

orders as (

    select * from {{ ref('stg_ecommerce__orders') }}

),

events as (

    select * from {{ ref('stg_web__events') }}

),

shop_customers as (

    select * from {{ ref('stg_ecommerce__customers') }}

),

messages as (

    select * from {{ ref('stg_marketing__messages') }}

),

own_keys as (

    select
        record_id,
        case source_table
            when 'contacts' then 'crm_contact'
            when 'customers' then 'shop_customer'
        end as identifier_type,
        source_key as identifier_value,
        'record_key' as match_rule
    from records
    where
        (source = 'crm' and source_table = 'contacts')
        or (source = 'ecommerce' and source_table = 'customers')

),

lead_contacts as (

    select
        {{ dbt.concat(["'crm/leads/'", "lead_id"]) }} as record_id,
        'crm_contact' as identifier_type,
        contact_id as identifier_value,
        'lead_contact' as match_rule
    from leads
    where contact_id is not null

),

customer_references as (

    select
        {{ dbt.concat(["'support/tickets/'", "ticket_id"]) }} as record_id,
        customer_id
    from tickets
    where customer_id is not null
    union all
    select
        {{ dbt.concat(["'surveys/responses/'", "response_id"]) }} as record_id,
        customer_id
    from responses
    where customer_id is not null
    union all
    select
        {{ dbt.concat(["'feedback/reviews/'", "review_id"]) }} as record_id,
        customer_id
    from reviews
    where customer_id is not null

),

-- An order named in a survey response, or quoted in a ticket's text ("my order ORD-1000206"),
-- belongs to the customer who placed it.
order_mentions as (

    select
        {{ dbt.concat(["'surveys/responses/'", "response_id"]) }} as record_id,
        order_id
    from responses
    where order_id is not null
    union all
    select
        {{ dbt.concat(["'support/tickets/'", "ticket_id"]) }} as record_id,
        {{ extract_pattern('ticket_text', var('order_reference_pattern')) }} as order_id
    from tickets

),

order_references as (

    select
        order_mentions.record_id,
        orders.customer_id
    from order_mentions
    inner join orders
        on order_mentions.order_id = orders.order_id
    where orders.customer_id is not null

),

-- A device is the shop customer it logged in (or signed up, or used the app) as; a device used
-- by several accounts is the one it was used by most often (then most recently).
device_logins as (

    select
        anonymous_id,
        customer_id,
        count(*) as events,
        max(occurred_at) as last_occurred_at
    from events
    where anonymous_id is not null and customer_id is not null
    group by 1, 2

),

device_logins_ranked as (

    select
        anonymous_id,
        customer_id,
        row_number() over (
            partition by anonymous_id
            order by events desc, last_occurred_at desc, customer_id asc
        ) as login_rank
    from device_logins

),

-- A newsletter click opens a session on the device that clicked: the session's landing event
-- carries the campaign (utm_medium = email) and happens within a second or two of the click the
-- email platform recorded for a contact. Matched on campaign and second (+/- the window), and
-- only where the match is one click to one landing; no session id or click id is needed.
landings as (

    select
        anonymous_id,
        utm_campaign as campaign_id,
        {{ dbt.date_trunc('second', 'occurred_at') }} as landed_at
    from events
    where
        utm_medium = 'email'
        and utm_campaign is not null
        and anonymous_id is not null
        and occurred_at is not null

),

clicks as (

    select
        contact_id,
        campaign_id,
        {{ dbt.date_trunc('second', 'occurred_at') }} as clicked_at
    from messages
    where
        event_type = 'clicked'
        and contact_id is not null
        and campaign_id is not null
        and occurred_at is not null

),

click_offsets as (

    {% for offset in range(-var('click_through_window_seconds'),
                           var('click_through_window_seconds') + 1) %}
        select {{ offset }} as offset_seconds
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

click_windows as (

    select
        clicks.contact_id,
        clicks.campaign_id,
        clicks.clicked_at,
        {{ dbt.dateadd('second', 'click_offsets.offset_seconds', 'clicks.clicked_at') }}
            as landed_at
    from clicks
    cross join click_offsets

),

click_matches as (

    select
        landings.anonymous_id,
        landings.campaign_id,
        landings.landed_at,
        click_windows.contact_id,
        click_windows.clicked_at,
        count(*) over (
            partition by landings.anonymous_id, landings.campaign_id, landings.landed_at
        ) as clicks_per_landing,
        count(*) over (
            partition by
                click_windows.contact_id, click_windows.campaign_id,
                click_windows.clicked_at
        ) as landings_per_click
    from landings
    inner join click_windows
        on
            landings.campaign_id = click_windows.campaign_id
            and landings.landed_at = click_windows.landed_at

),

device_clicks as (

    select
        anonymous_id,
        contact_id,
        count(*) as clicks,
        max(clicked_at) as last_clicked_at
    from click_matches
    where clicks_per_landing = 1 and landings_per_click = 1
    group by 1, 2

),

device_clicks_ranked as (

    select
        anonymous_id,
        contact_id,
        row_number() over (
            partition by anonymous_id
            order by clicks desc, last_clicked_at desc, contact_id asc
        ) as click_rank
    from device_clicks

),

-- A review on an outside platform is signed "Anna Smith" or "Anna S." and nothing else. It
-- follows a delivered purchase, so it is the shop customer of that name (same first name, same
-- family name or initial) who ordered a few days to a few weeks before it was posted, when
-- exactly one did. The tighter the window, the fewer namesakes compete for the review.
signed_reviews as (

    select
        review_id,
        {{ dbt.dateadd('day', -review_max_days, 'posted_at') }} as window_start_at,
        {{ dbt.dateadd('day', -review_min_days, 'posted_at') }} as window_end_at,
        lower({{ dbt.split_part('author_name', "' '", 1) }}) as first_name,
        lower({{ dbt.split_part('author_name', "' '", 2) }}) as second_word
    from reviews
    where customer_id is null and email is null and author_name is not null

),

review_candidates as (

    select
        signed_reviews.review_id,
        orders.customer_id
    from signed_reviews
    inner join orders
        on
            signed_reviews.window_start_at <= orders.ordered_at
            and signed_reviews.window_end_at >= orders.ordered_at
    inner join shop_customers
        on orders.customer_id = shop_customers.customer_id
    where
        signed_reviews.first_name = lower(shop_customers.first_name)
        and signed_reviews.second_word <> ''
        and (
            signed_reviews.second_word = lower(shop_customers.last_name)
            or (
                signed_reviews.second_word like '_.'
                and lower(shop_customers.last_name)
                like {{ dbt.concat(["substring(signed_reviews.second_word, 1, 1)", "'%'"]) }}
            )
        )

),

review_purchasers as (

    select
        review_id,
        min(customer_id) as customer_id
    from review_candidates
    group by 1
    having count(distinct customer_id) = 1

),

contact_points as (

    select
        record_id,
        'email' as identifier_type,
        email as identifier_value,
        'email' as match_rule
    from records
    where email is not null
    union all
    select
        record_id,
        'phone' as identifier_type,
        phone as identifier_value,
        'phone' as match_rule
    from records
    where phone is not null

),

unioned as (

    select * from own_keys
    union all
    select * from lead_contacts
    union all
    select
        record_id,
        'shop_customer' as identifier_type,
        customer_id as identifier_value,
        'customer_reference' as match_rule
    from customer_references
    union all
    select
        record_id,
        'shop_customer' as identifier_type,
        customer_id as identifier_value,
        'order_reference' as match_rule
    from order_references
    union all
    select
        {{ dbt.concat(["'web/events/'", "anonymous_id"]) }} as record_id,
        'shop_customer' as identifier_type,
        customer_id as identifier_value,
        'web_login' as match_rule
    from device_logins_ranked
    where login_rank = 1
    union all
    select
        {{ dbt.concat(["'web/events/'", "anonymous_id"]) }} as record_id,
        'crm_contact' as identifier_type,
        contact_id as identifier_value,
        'email_click_through' as match_rule
    from device_clicks_ranked
    where click_rank = 1
    union all
    select
        {{ dbt.concat(["'feedback/reviews/'", "review_id"]) }} as record_id,
        'shop_customer' as identifier_type,
        customer_id as identifier_value,
        'review_recent_order' as match_rule
    from review_purchasers
    union all
    select * from contact_points

),

-- How sure a link through each rule is. A record's own key is certain; a reference to another
-- system's key is as good as that system's data entry; a shared email or phone can belong to a
-- household (the guard in ml/identity splits those by name); an order reference found in
-- free text or a click matched on campaign and second is a strong but indirect clue.
confidences as (

    select
        record_id,
        identifier_type,
        identifier_value,
        match_rule,
        case match_rule
            when 'record_key' then 1.0
            when 'lead_contact' then 1.0
            when 'customer_reference' then 1.0
            when 'web_login' then 1.0
            when 'order_reference' then 0.98
            when 'email' then 0.97
            when 'phone' then 0.95
            when 'email_click_through' then 0.9
            when 'review_recent_order' then 0.85
        end as match_confidence
    from unioned

),

-- One row per record and identifier: the most confident rule when several give the same one
-- (a response naming both a customer and that customer's order).
ranked as (

    select
        record_id,
        identifier_type,
        identifier_value,
        match_rule,
        match_confidence,
        row_number() over (
            partition by record_id, identifier_type, identifier_value
            order by match_confidence desc, match_rule asc
        ) as rule_rank
    from confidences

),

final as (

    select
        record_id,
        identifier_type,
        identifier_value,
        match_rule,
        cast(match_confidence as {{ type_double() }}) as match_confidence
    from ranked
    where rule_rank = 1

)

select * from final
