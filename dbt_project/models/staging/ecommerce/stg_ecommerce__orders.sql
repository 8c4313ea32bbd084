with

source as (

    select * from {{ source('raw', 'ecommerce__orders') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('order_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        ordered_at,
        amount,
        upper({{ clean_text('currency') }}) as currency,
        lower({{ clean_text('channel') }}) as channel,
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('status') }} as status,
        {{ clean_text('coupon_code') }} as coupon_code,
        discount_amount,
        {{ custom_attribute_columns('raw', 'ecommerce__orders') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
