{#
    Campaigns that had started by as_of_date, with their offer and coupon: what the next best
    offer can attach. is_running is true when as_of_date falls within the campaign.
#}
with

cutoffs as (

    select * from {{ ref('feature_cutoffs') }}
    where cutoff_name = 'scoring'

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

final as (

    select
        campaigns.campaign_id,
        cast(campaigns.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(campaigns.channel as {{ dbt.type_string() }}) as channel,
        cast(campaigns.offer as {{ dbt.type_string() }}) as offer,
        cast(campaigns.coupon_code as {{ dbt.type_string() }}) as coupon_code,
        cast(campaigns.variant as {{ dbt.type_string() }}) as variant,
        campaigns.started_at,
        campaigns.ended_at,
        coalesce(cast(campaigns.ended_at as date) >= cutoffs.cutoff_date, true) as is_running
    from campaigns
    inner join cutoffs
        on cast(campaigns.started_at as date) <= cutoffs.cutoff_date

)

select * from final
