with

source as (

    select * from {{ source('raw', 'surveys__responses') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('response_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('response_id') }} as response_id,
        submitted_at,
        lower({{ clean_text('survey_type') }}) as survey_type,
        score,
        {{ clean_text('comment') }} as response_comment,
        {{ normalize_email('email') }} as email,
        {{ clean_text('email') }} as email_raw,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('order_id') }} as order_id,
        {{ custom_attribute_columns('raw', 'surveys__responses') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
