{#
    CRM leads with the unified customer and when each converted: the CRM's converted_at, or else
    the customer's first sale at or after the lead was created.
#}
with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where source = 'crm' and source_table = 'leads'

),

orders as (

    select * from {{ ref('int_journeys__orders') }}
    where customer_id is not null

),

resolved as (

    select
        leads.lead_id,
        identity_map.customer_id,
        leads.created_at,
        leads.campaign_id,
        leads.status,
        leads.converted_at as crm_converted_at,
        lower(leads.source_channel) as source_channel
    from leads
    left outer join identity_map
        on leads.lead_id = identity_map.source_key
    where leads.lead_id is not null and leads.created_at is not null

),

first_orders_after_lead as (

    select
        resolved.lead_id,
        min(orders.ordered_at) as first_ordered_at
    from resolved
    inner join orders
        on
            resolved.customer_id = orders.customer_id
            and resolved.created_at <= orders.ordered_at
    group by 1

),

final as (

    select
        resolved.lead_id,
        resolved.customer_id,
        resolved.created_at,
        resolved.source_channel,
        resolved.campaign_id,
        resolved.status,
        coalesce(
            resolved.crm_converted_at, first_orders_after_lead.first_ordered_at
        ) as converted_at,
        coalesce(
            resolved.crm_converted_at, first_orders_after_lead.first_ordered_at
        ) is not null as is_converted
    from resolved
    left outer join first_orders_after_lead
        on resolved.lead_id = first_orders_after_lead.lead_id

)

select * from final
