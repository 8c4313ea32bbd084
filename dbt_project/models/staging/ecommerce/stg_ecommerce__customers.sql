with

source as (

    select * from {{ source('raw', 'ecommerce__customers') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('customer_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('customer_id') }} as customer_id,
        {{ normalize_email('email') }} as email,
        {{ clean_text('email') }} as email_raw,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ normalize_phone('phone') }} as phone,
        {{ clean_text('phone') }} as phone_raw,
        date_of_birth as birth_date,
        {{ clean_text('street') }} as street,
        {{ clean_text('city') }} as city,
        {{ clean_text('postcode') }} as postcode,
        {{ clean_text('country') }} as country,
        created_at,
        {{ custom_attribute_columns('raw', 'ecommerce__customers') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
