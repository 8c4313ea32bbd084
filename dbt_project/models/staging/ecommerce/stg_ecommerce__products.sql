with

source as (

    select * from {{ source('raw', 'ecommerce__products') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('product_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('name') }} as product_name,
        {{ clean_text('category') }} as category,
        price,
        {{ custom_attribute_columns('raw', 'ecommerce__products') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
