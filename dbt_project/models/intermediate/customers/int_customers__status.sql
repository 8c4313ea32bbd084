/*
    Each customer's current lifecycle stage and consent: what the SCD2 snapshot
    (snapshots/customer_status_snapshot.yml) versions, so that the history of both survives
    rebuilds of the marts.
*/

with

customers as (

    select * from {{ ref('dim_customers') }}

),

lifecycle_stages as (

    select * from {{ ref('fct_lifecycle_stages') }}

),

current_stages as (

    select
        customer_id,
        stage,
        entered_at
    from lifecycle_stages
    where exited_at is null

),

final as (

    select
        customers.customer_id,
        current_stages.stage as lifecycle_stage,
        current_stages.entered_at as lifecycle_stage_entered_at,
        customers.lifecycle_stage as crm_lifecycle_stage,
        customers.has_email_consent,
        customers.has_sms_consent
    from customers
    left outer join current_stages
        on customers.customer_id = current_stages.customer_id

)

select * from final
