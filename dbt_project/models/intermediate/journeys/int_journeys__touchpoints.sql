{#
    Every interaction between a person and the business, from every source, keyed by the source
    record that says who it was (identity_source, identity_source_table, identity_source_key:
    a record of marts.customer_identity_map) and, for a web session of a logged-in visitor, a
    fallback record (the device) for when the shop customer is not resolved. The unified
    customer_id is joined on in fct_customer_touchpoints at every build, so a later identity
    merge re-labels history.

    Incremental (delete+insert on touchpoint_id): rows that occurred within
    var('late_arrival_days') (3) of the latest touchpoint already built, or were loaded after the
    previous build, are rebuilt, and touchpoints not built yet are added whatever their age. The pre-hook deletes every touchpoint whose source record no
    longer yields it: a web session of a rebuilt visitor can change key (a late event merges two
    sessions), and a re-delivered file can take a record back (any age) or change what it says
    (an email opened becomes clicked). Its conditions mirror the CTEs below: keep them in step.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='touchpoint_id',
        on_schema_change='fail',
        pre_hook="
            {% if is_incremental() %}
            delete from {{ this }}
            where
                (
                    touchpoint_type = 'web_session' and source_record_id not in (
                        select session_key from {{ ref('int_web__sessions') }}
                        where session_started_at is not null
                    )
                )
                or (
                    touchpoint_type = 'email_open' and source_record_id not in (
                        select message_id from {{ ref('stg_marketing__messages') }}
                        where event_type = 'opened' and occurred_at is not null
                    )
                )
                or (
                    touchpoint_type = 'email_click' and source_record_id not in (
                        select message_id from {{ ref('stg_marketing__messages') }}
                        where event_type = 'clicked' and occurred_at is not null
                    )
                )
                or (
                    touchpoint_type = 'order' and source_record_id not in (
                        select order_id from {{ ref('stg_ecommerce__orders') }}
                        where order_id is not null and ordered_at is not null
                    )
                )
                or (
                    touchpoint_type = 'account_created' and source_record_id not in (
                        select customer_id from {{ ref('stg_ecommerce__customers') }}
                        where customer_id is not null and created_at is not null
                    )
                )
                or (
                    touchpoint_type = 'support_ticket' and source_record_id not in (
                        select ticket_id from {{ ref('stg_support__tickets') }}
                        where ticket_id is not null and created_at is not null
                    )
                )
                or (
                    touchpoint_type = 'survey_response' and source_record_id not in (
                        select response_id from {{ ref('stg_surveys__responses') }}
                        where response_id is not null and submitted_at is not null
                    )
                )
                or (
                    touchpoint_type = 'review' and source_record_id not in (
                        select review_id from {{ ref('stg_feedback__reviews') }}
                        where review_id is not null and posted_at is not null
                    )
                )
                or (
                    touchpoint_type = 'lead_created' and source_record_id not in (
                        select lead_id from {{ ref('stg_crm__leads') }}
                        where lead_id is not null and created_at is not null
                    )
                )
                or (
                    touchpoint_type = 'contact_created' and source_record_id not in (
                        select contact_id from {{ ref('stg_crm__contacts') }}
                        where contact_id is not null and created_at is not null
                    )
                )
            {% endif %}
        ",
    )
}}

with

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

messages as (

    select * from {{ ref('stg_marketing__messages') }}

),

orders as (

    select * from {{ ref('stg_ecommerce__orders') }}

),

shop_customers as (

    select * from {{ ref('stg_ecommerce__customers') }}

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

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

session_touchpoints as (

    select
        'web' as source, -- noqa: RF04
        'web_session' as touchpoint_type,
        session_key as source_record_id,
        session_started_at as occurred_at,
        platform as channel,
        traffic_channel as marketing_channel,
        utm_campaign as campaign_id,
        case when shop_customer_id is not null then 'ecommerce' else 'web' end as identity_source,
        case
            when shop_customer_id is not null then 'customers' else 'events'
        end as identity_source_table,
        coalesce(shop_customer_id, anonymous_id) as identity_source_key,
        case when shop_customer_id is not null then 'web' end as fallback_identity_source,
        case
            when shop_customer_id is not null then 'events'
        end as fallback_identity_source_table,
        case
            when shop_customer_id is not null then anonymous_id
        end as fallback_identity_source_key,
        events_loaded_at as loaded_at
    from sessions

),

email_touchpoints as (

    select
        'marketing' as source, -- noqa: RF04
        case event_type when 'opened' then 'email_open' else 'email_click' end as touchpoint_type,
        message_id as source_record_id,
        occurred_at,
        'email' as channel,
        'email' as marketing_channel,
        campaign_id,
        'crm' as identity_source,
        'contacts' as identity_source_table,
        contact_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from messages
    where event_type in ('opened', 'clicked')

),

order_touchpoints as (

    select
        'ecommerce' as source, -- noqa: RF04
        'order' as touchpoint_type,
        order_id as source_record_id,
        ordered_at as occurred_at,
        channel,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        'ecommerce' as identity_source,
        'customers' as identity_source_table,
        customer_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from orders

),

account_touchpoints as (

    select
        'ecommerce' as source, -- noqa: RF04
        'account_created' as touchpoint_type,
        customer_id as source_record_id,
        created_at as occurred_at,
        'ecommerce' as channel,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        'ecommerce' as identity_source,
        'customers' as identity_source_table,
        customer_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from shop_customers

),

ticket_touchpoints as (

    select
        'support' as source, -- noqa: RF04
        'support_ticket' as touchpoint_type,
        ticket_id as source_record_id,
        created_at as occurred_at,
        coalesce(channel, 'support') as channel,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        'support' as identity_source,
        'tickets' as identity_source_table,
        ticket_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from tickets

),

survey_touchpoints as (

    select
        'surveys' as source, -- noqa: RF04
        'survey_response' as touchpoint_type,
        response_id as source_record_id,
        submitted_at as occurred_at,
        'survey' as channel,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        'surveys' as identity_source,
        'responses' as identity_source_table,
        response_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from responses

),

review_touchpoints as (

    select
        'feedback' as source, -- noqa: RF04
        'review' as touchpoint_type,
        review_id as source_record_id,
        posted_at as occurred_at,
        coalesce(lower(platform), 'review') as channel,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        'feedback' as identity_source,
        'reviews' as identity_source_table,
        review_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from reviews

),

lead_touchpoints as (

    select
        'crm' as source, -- noqa: RF04
        'lead_created' as touchpoint_type,
        lead_id as source_record_id,
        created_at as occurred_at,
        'crm' as channel,
        lower(source_channel) as marketing_channel,
        campaign_id,
        'crm' as identity_source,
        'leads' as identity_source_table,
        lead_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from leads

),

contact_touchpoints as (

    select
        'crm' as source, -- noqa: RF04
        'contact_created' as touchpoint_type,
        contact_id as source_record_id,
        created_at as occurred_at,
        'crm' as channel,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        'crm' as identity_source,
        'contacts' as identity_source_table,
        contact_id as identity_source_key,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_table,
        cast(null as {{ dbt.type_string() }}) as fallback_identity_source_key,
        _loaded_at as loaded_at
    from contacts

),

unioned as (

    select * from session_touchpoints
    union all
    select * from email_touchpoints
    union all
    select * from order_touchpoints
    union all
    select * from account_touchpoints
    union all
    select * from ticket_touchpoints
    union all
    select * from survey_touchpoints
    union all
    select * from review_touchpoints
    union all
    select * from lead_touchpoints
    union all
    select * from contact_touchpoints

),

keyed as (

    select
        {{ dbt.concat(["touchpoint_type", "':'", "source_record_id"]) }} as touchpoint_id,
        *
    from unioned
    where source_record_id is not null and occurred_at is not null

),

final as (

    select * from keyed
    {% if is_incremental() %}
        where
            occurred_at >= coalesce(
                (
                    select
                        {{ dbt.dateadd(
                            'day', -1 * var('late_arrival_days', 3), 'max(occurred_at)'
                        ) }}
                    from {{ this }}
                ),
                cast('1900-01-01' as timestamp)
            )
            or loaded_at > coalesce(
                (select max(loaded_at) from {{ this }}),
                cast('1900-01-01' as timestamp)
            )
            -- any age: a session re-keyed when a removed file took some of its visitor's
            -- events (nothing newly loaded says so)
            or touchpoint_id not in (select built.touchpoint_id from {{ this }} as built)
    {% endif %}

)

select * from final
