{#
    Incremental (see macros/incremental_latest_wins.sql): only keys with newly loaded rows are
    re-staged, from all their raw rows, so the result equals a full refresh.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_retracted_keys('web__events', clean_text('event_id'), 'event_id') }}",
    )
}}

with

source as (

    select * from {{ source('raw', 'web__events') }}
    where
        {{ clean_text('event_id') }} is not null
    {% if is_incremental() %}
        and {{ clean_text('event_id') }} in (
            {{ keys_to_restage('web__events', clean_text('event_id'), 'event_id') }}
        )
    {% endif %}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('event_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('event_id') }} as event_id,
        occurred_at,
        lower({{ clean_text('event_type') }}) as event_type,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('session_id') }} as session_id,
        {{ clean_text('page_url') }} as page_url,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('search_query') }} as search_query,
        {{ clean_text('utm_source') }} as utm_source,
        {{ clean_text('utm_medium') }} as utm_medium,
        {{ clean_text('utm_campaign') }} as utm_campaign,
        {{ clean_text('referrer') }} as referrer,
        {{ clean_text('device') }} as device,
        {{ custom_attribute_columns('raw', 'web__events') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
