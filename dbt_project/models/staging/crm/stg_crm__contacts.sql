with

source as (

    select * from {{ source('raw', 'crm__contacts') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('contact_id'), updated_at='updated_at') }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ normalize_email('email') }} as email,
        {{ clean_text('email') }} as email_raw,
        {{ normalize_phone('phone') }} as phone,
        {{ clean_text('phone') }} as phone_raw,
        date_of_birth as birth_date,
        {{ clean_text('gender') }} as gender,
        {{ clean_text('street') }} as street,
        {{ clean_text('city') }} as city,
        {{ clean_text('postcode') }} as postcode,
        {{ clean_text('country') }} as country,
        {{ clean_text('income_band') }} as income_band,
        {{ clean_text('interests') }} as interests,
        {{ clean_text('lifecycle_stage') }} as lifecycle_stage,
        consent_email as has_email_consent,
        consent_sms as has_sms_consent,
        created_at,
        updated_at,
        {{ custom_attribute_columns('raw', 'crm__contacts') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
