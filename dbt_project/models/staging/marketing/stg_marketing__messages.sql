with

source as (

    select * from {{ source('raw', 'marketing__messages') }}

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
