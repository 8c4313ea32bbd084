{#
    One row per CRM lead created on or before as_of_date: what was known when it was created
    (channel, campaign, the CRM's custom attributes, the person's earlier activity) and, once its
    conversion window (var lead_conversion_days) has passed by as_of_date, whether it converted
    within that window.

    - is_converted_in_window: null while the outcome is unknown (created after the
      lead_training cutoff); otherwise whether it converted (CRM converted_at, else the
      customer's first sale after it) within lead_conversion_days, on or before as_of_date.
    - is_open: not converted by as_of_date and still within its window: the leads to score.

    Custom attributes are every column of stg_crm__leads beyond the contract's, as delivered
    (text); the lead status is left out as it is the CRM's current value (it would leak the
    outcome).
#}
{%- set known_columns = [
    'lead_id', 'contact_id', 'email', 'email_raw', 'created_at', 'source_channel', 'campaign_id',
    'status', 'converted_at', '_source_file', '_source_row', '_load_id', '_loaded_at',
] -%}

with

cutoffs as (

    select
        max(case when cutoff_name = 'scoring' then cutoff_date end) as as_of_date,
        max(case when cutoff_name = 'lead_training' then cutoff_date end) as training_cutoff_date,
        max(case when cutoff_name = 'lead_training' then horizon_days end) as window_days
    from {{ ref('feature_cutoffs') }}

),

leads as (

    select * from {{ ref('int_journeys__leads') }}

),

lead_attributes as (

    select * from {{ ref('stg_crm__leads') }}

),

interactions as (

    select * from {{ ref('int_customer_360__interactions') }}
    where customer_id is not null

),

prior_activity as (

    select
        leads.lead_id,
        sum(case when interactions.interaction_type = 'session' then 1 else 0 end)
            as sessions_before,
        sum(case
            when interactions.interaction_type in ('email_opened', 'email_clicked') then 1
            else 0
        end) as email_engagements_before,
        sum(case when interactions.interaction_type = 'order' then 1 else 0 end)
            as orders_before
    from leads
    inner join interactions
        on
            leads.customer_id = interactions.customer_id
            and leads.created_at > interactions.occurred_at
    group by 1

),

final as (

    select
        leads.lead_id,
        leads.customer_id,
        leads.created_at,
        cast(leads.source_channel as {{ dbt.type_string() }}) as source_channel,
        cast(leads.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast({{ day_of_week('leads.created_at') }} as {{ dbt.type_int() }}) as created_weekday,
        cast({{ hour_of_day('leads.created_at') }} as {{ dbt.type_int() }}) as created_hour,
        cast(coalesce(prior_activity.sessions_before, 0) as {{ dbt.type_int() }})
            as sessions_before,
        cast(coalesce(prior_activity.email_engagements_before, 0) as {{ dbt.type_int() }})
            as email_engagements_before,
        cast(coalesce(prior_activity.orders_before, 0) as {{ dbt.type_int() }}) as orders_before,
        {%- if execute %}
            {%- for column in adapter.get_columns_in_relation(ref('stg_crm__leads')) %}
                {%- if column.name | lower not in known_columns %}
        lead_attributes.{{ adapter.quote(column.name) }},
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        case
            when cast(leads.created_at as date) > cutoffs.training_cutoff_date then null
            else coalesce(
                cast(leads.converted_at as date) <= cutoffs.as_of_date
                and leads.converted_at
                <= {{ dbt.dateadd('day', 'cutoffs.window_days', 'leads.created_at') }},
                false
            )
        end as is_converted_in_window,
        coalesce(cast(leads.converted_at as date) > cutoffs.as_of_date, true)
        and cast(leads.created_at as date) > cutoffs.training_cutoff_date as is_open
    from leads
    cross join cutoffs
    inner join lead_attributes
        on leads.lead_id = lead_attributes.lead_id
    left outer join prior_activity
        on leads.lead_id = prior_activity.lead_id
    where cast(leads.created_at as date) <= cutoffs.as_of_date

)

select * from final
