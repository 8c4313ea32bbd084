with

source as (

    select * from {{ source('raw', 'crm__leads') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('lead_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('lead_id') }} as lead_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ normalize_email('email') }} as email,
        {{ clean_text('email') }} as email_raw,
        created_at,
        {{ clean_text('source_channel') }} as source_channel,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('status') }} as status,
        converted_at,
        {{ custom_attribute_columns('raw', 'crm__leads') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
