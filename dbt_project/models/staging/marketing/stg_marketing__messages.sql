{#
    Incremental (see macros/incremental_latest_wins.sql): only keys with newly loaded rows are
    re-staged, from all their raw rows, so the result equals a full refresh.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='message_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_retracted_keys('marketing__messages', clean_text('message_id'), 'message_id') }}",
    )
}}

with

source as (

    select * from {{ source('raw', 'marketing__messages') }}
    where
        {{ clean_text('message_id') }} is not null
    {% if is_incremental() %}
        and {{ clean_text('message_id') }} in (
            {{ keys_to_restage('marketing__messages', clean_text('message_id'), 'message_id') }}
        )
    {% endif %}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('message_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('message_id') }} as message_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        occurred_at,
        lower({{ clean_text('event_type') }}) as event_type,
        {{ clean_text('contact_id') }} as contact_id,
        {{ normalize_email('email') }} as email,
        {{ clean_text('email') }} as email_raw,
        {{ custom_attribute_columns('raw', 'marketing__messages') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
