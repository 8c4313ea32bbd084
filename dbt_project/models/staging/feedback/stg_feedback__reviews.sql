with

source as (

    select * from {{ source('raw', 'feedback__reviews') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('review_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('review_id') }} as review_id,
        posted_at,
        rating,
        {{ clean_text('text') }} as review_text,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('platform') }} as platform,
        {{ clean_text('author_name') }} as author_name,
        {{ normalize_email('email') }} as email,
        {{ clean_text('email') }} as email_raw,
        {{ clean_text('customer_id') }} as customer_id,
        {{ custom_attribute_columns('raw', 'feedback__reviews') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
