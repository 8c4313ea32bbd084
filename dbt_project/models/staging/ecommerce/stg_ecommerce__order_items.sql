with

source as (

    select * from {{ source('raw', 'ecommerce__order_items') }}

),

deduplicated as (

    select
        *,
        {{ latest_first([clean_text('order_id'), clean_text('product_id')]) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,
        quantity,
        unit_price,
        {{ custom_attribute_columns('raw', 'ecommerce__order_items') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
