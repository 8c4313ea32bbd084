with

source as (

    select * from {{ source('raw', 'support__tickets') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('ticket_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('ticket_id') }} as ticket_id,
        created_at,
        {{ normalize_email('email') }} as email,
        {{ clean_text('email') }} as email_raw,
        {{ clean_text('customer_id') }} as customer_id,
        lower({{ clean_text('channel') }}) as channel,
        {{ clean_text('category') }} as category,
        {{ clean_text('product_id') }} as product_id,
        first_response_at,
        resolved_at,
        queue_seconds,
        {{ clean_text('status') }} as status,
        csat_score,
        {{ clean_text('text') }} as ticket_text,
        {{ custom_attribute_columns('raw', 'support__tickets') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
