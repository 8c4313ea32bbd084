{#
    The customer journey: every touchpoint of a resolved customer, in any source. Touchpoints of
    records that identity resolution could not tie to a customer (a device that never logged in,
    a ticket without email) are left out. A web session of a logged-in visitor belongs to the
    shop customer, or, when that one is not resolved, to the customer of the device.
#}
with

touchpoints as (

    select * from {{ ref('int_journeys__touchpoints') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}

),

resolved as (

    select
        touchpoints.*,
        coalesce(identity_map.customer_id, fallback_identity_map.customer_id) as customer_id
    from touchpoints
    left outer join identity_map
        on
            touchpoints.identity_source = identity_map.source
            and touchpoints.identity_source_table = identity_map.source_table
            and touchpoints.identity_source_key = identity_map.source_key
    left outer join identity_map as fallback_identity_map
        on
            touchpoints.fallback_identity_source = fallback_identity_map.source
            and touchpoints.fallback_identity_source_table = fallback_identity_map.source_table
            and touchpoints.fallback_identity_source_key = fallback_identity_map.source_key

),

final as (

    select
        touchpoint_id,
        customer_id,
        occurred_at,
        source,
        touchpoint_type,
        channel,
        marketing_channel,
        campaign_id,
        source_record_id
    from resolved
    where customer_id is not null

)

select * from final
