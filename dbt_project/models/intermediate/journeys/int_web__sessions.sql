{#
    Web and app visits, sessionised here rather than taken from the tracker's session_id.

    A visitor is a device (anonymous_id), or the shop customer_id for events that carry no
    anonymous_id. A visitor's events form one session until either
      - the visitor is inactive for var('session_timeout_minutes') (30): an event at least that
        long after the previous one starts a new session, or
      - a campaign-tagged event (any utm_* set) arrives whose tags differ from the previous
        event's: a new campaign landing starts a new session, as in Google Analytics.

    Incremental (delete+insert on visitor_key): a visitor is rebuilt whole, from all of its
    events, when any of its events occurred within var('late_arrival_days') (3) of the latest
    session end already built, or was loaded after the previous build, or when its built sessions
    no longer account for its events (their count or latest load differs: a re-delivered file
    took some back). Late events may merge or split sessions, so a visitor's sessions are
    replaced together and an incremental build equals a full refresh. The pre-hook deletes the
    sessions of visitors left without any event (a re-delivered file took them all back).
#}
{%- set visitor_key -%}
    case
        when anonymous_id is not null then {{ dbt.concat(["'anonymous:'", "anonymous_id"]) }}
        else {{ dbt.concat(["'customer:'", "keyed_customer_id"]) }}
    end
{%- endset %}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='visitor_key',
        on_schema_change='fail',
        pre_hook="
            {% if is_incremental() %}
            delete from {{ this }}
            where visitor_key not in (
                select " ~ visitor_key ~ " from (
                    select
                        anonymous_id,
                        case when anonymous_id is null then customer_id end as keyed_customer_id
                    from {{ ref('stg_web__events') }}
                    where anonymous_id is not null or customer_id is not null
                ) as visitors
            )
            {% endif %}
        ",
    )
}}

with

events as (

    select * from {{ ref('stg_web__events') }}

),

-- only the columns the session boundaries and counts need: the windows below sort every event
visitor_events as (

    select
        event_id,
        occurred_at,
        event_type,
        customer_id as shop_customer_id,
        session_id as tracker_session_id,
        utm_source,
        utm_medium,
        utm_campaign,
        _loaded_at as loaded_at,
        anonymous_id,
        case when anonymous_id is null then customer_id end as keyed_customer_id
    from events
    where
        event_id is not null
        and occurred_at is not null
        and (anonymous_id is not null or customer_id is not null)

),

scoped_events as (

    select * from visitor_events
    {% if is_incremental() %}
        where {{ visitor_key }} in (
            select {{ visitor_key }} from visitor_events
            where
                occurred_at >= coalesce(
                    (
                        select
                            {{ dbt.dateadd(
                                'day', -1 * var('late_arrival_days', 3), 'max(session_ended_at)'
                            ) }}
                        from {{ this }}
                    ),
                    cast('1900-01-01' as timestamp)
                )
                or loaded_at > coalesce(
                    (select max(events_loaded_at) from {{ this }}),
                    cast('1900-01-01' as timestamp)
                )
        )
        or {{ visitor_key }} in (
            select built.visitor_key
            from (
                select
                    visitor_key,
                    sum(event_count) as event_count,
                    max(events_loaded_at) as loaded_at
                from {{ this }}
                group by visitor_key
            ) as built
            inner join (
                select
                    {{ visitor_key }} as visitor_key,
                    event_count,
                    loaded_at
                from (
                    select
                        anonymous_id,
                        keyed_customer_id,
                        count(*) as event_count,
                        max(loaded_at) as loaded_at
                    from visitor_events
                    group by anonymous_id, keyed_customer_id
                ) as visitor_counts
            ) as staged
                on built.visitor_key = staged.visitor_key
            where
                built.event_count <> staged.event_count
                or built.loaded_at <> staged.loaded_at
        )
    {% endif %}

),

sequenced as (

    select
        *,
        lag(occurred_at) over visitor_timeline as previous_occurred_at,
        lag(utm_source) over visitor_timeline as previous_utm_source,
        lag(utm_medium) over visitor_timeline as previous_utm_medium,
        lag(utm_campaign) over visitor_timeline as previous_utm_campaign
    from scoped_events
    window visitor_timeline as (
        partition by anonymous_id, keyed_customer_id order by occurred_at, event_id
    )

),

flagged as (

    select
        *,
        case
            when previous_occurred_at is null then 1
            when
                occurred_at >= {{ dbt.dateadd(
                    'minute', var('session_timeout_minutes', 30), 'previous_occurred_at'
                ) }}
                then 1
            when
                (utm_source is not null or utm_medium is not null or utm_campaign is not null)
                and (
                    utm_source is distinct from previous_utm_source
                    or utm_medium is distinct from previous_utm_medium
                    or utm_campaign is distinct from previous_utm_campaign
                )
                then 1
            else 0
        end as is_session_start
    from sequenced

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by anonymous_id, keyed_customer_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as visitor_session_number
    from flagged

),

aggregated as (

    select
        anonymous_id,
        keyed_customer_id,
        visitor_session_number,
        max(case when is_session_start = 1 then event_id end) as first_event_id,
        max(shop_customer_id) as shop_customer_id,
        count(distinct tracker_session_id) as tracker_session_count,
        min(occurred_at) as session_started_at,
        max(occurred_at) as session_ended_at,
        count(*) as event_count,
        count(case when event_type = 'page_view' then 1 end) as page_view_count,
        count(case when event_type = 'product_view' then 1 end) as product_view_count,
        count(case when event_type = 'search' then 1 end) as search_count,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_cart_count,
        count(case when event_type = 'checkout' then 1 end) as checkout_count,
        count(case when event_type = 'purchase' then 1 end) as purchase_count,
        count(case when event_type = 'login' then 1 end) as login_count,
        count(case when event_type = 'sign_up' then 1 end) as sign_up_count,
        max(loaded_at) as events_loaded_at,
        {{ visitor_key }} as visitor_key
    from numbered
    group by 1, 2, 3

),

-- the landing (first) event of each session carries its page, traffic source and device
landed as (

    select
        aggregated.*,
        events.session_id as tracker_session_id,
        events.page_url as landing_page_url,
        events.referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.device
    from aggregated
    inner join events
        on aggregated.first_event_id = events.event_id

),

final as (

    select
        {{ dbt.hash(dbt.concat(["visitor_key", "'|'", "first_event_id"])) }} as session_key,
        visitor_key,
        visitor_session_number,
        anonymous_id,
        shop_customer_id,
        tracker_session_id,
        tracker_session_count,
        session_started_at,
        session_ended_at,
        {{ dbt.datediff('session_started_at', 'session_ended_at', 'second') }} as duration_seconds, -- noqa: LT05
        landing_page_url,
        referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        device,
        case
            when lower(device) like '%app%' then 'app'
            else 'web'
        end as platform,
        case
            when lower(utm_medium) in ('email', 'e-mail', 'newsletter') then 'email'
            when lower(utm_source) = 'newsletter' then 'email'
            when
                lower(utm_medium) in ('cpc', 'ppc', 'paid_search', 'paidsearch', 'sem')
                then 'paid_search'
            when
                lower(utm_medium) in ('paid_social', 'paidsocial', 'social_paid')
                then 'paid_social'
            when lower(utm_medium) in ('affiliate', 'affiliates') then 'affiliate'
            when lower(utm_medium) in ('display', 'banner', 'cpm') then 'display'
            when utm_medium is not null or utm_source is not null then 'other_campaign'
            when
                lower(referrer) like '%google.%'
                or lower(referrer) like '%bing.%'
                or lower(referrer) like '%yahoo.%'
                or lower(referrer) like '%duckduckgo.%'
                or lower(referrer) like '%ecosia.%'
                then 'organic_search'
            when
                lower(referrer) like '%facebook.%'
                or lower(referrer) like '%instagram.%'
                or lower(referrer) like '%tiktok.%'
                or lower(referrer) like '%pinterest.%'
                or lower(referrer) like '%linkedin.%'
                or lower(referrer) like '%reddit.%'
                or lower(referrer) like '%twitter.%'
                or lower(referrer) like '%//t.co/%'
                or lower(referrer) like '%//x.com/%'
                then 'organic_social'
            when referrer is not null then 'referral'
            else 'direct'
        end as traffic_channel,
        event_count,
        page_view_count,
        product_view_count,
        search_count,
        add_to_cart_count,
        checkout_count,
        purchase_count,
        product_view_count > 0 as has_product_view,
        add_to_cart_count > 0 as has_add_to_cart,
        checkout_count > 0 as has_checkout,
        purchase_count > 0 as has_purchase,
        login_count > 0 as has_login,
        sign_up_count > 0 as has_sign_up,
        events_loaded_at
    from landed

)

select * from final
