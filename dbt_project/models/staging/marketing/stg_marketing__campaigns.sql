with

source as (

    select * from {{ source('raw', 'marketing__campaigns') }}

),

deduplicated as (

    select
        *,
        {{ latest_first(clean_text('campaign_id')) }} as latest_rank
    from source

),

final as (

    select
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('name') }} as campaign_name,
        lower({{ clean_text('channel') }}) as channel,
        started_at,
        ended_at,
        {{ clean_text('offer') }} as offer,
        {{ clean_text('coupon_code') }} as coupon_code,
        {{ clean_text('variant') }} as variant,
        {{ custom_attribute_columns('raw', 'marketing__campaigns') }}
        _source_file,
        _loaded_at
    from deduplicated
    where latest_rank = 1

)

select * from final
