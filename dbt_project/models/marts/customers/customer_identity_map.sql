with

clusters as (

    select * from {{ source('identity', 'clusters') }}

),

final as (

    select
        cast(source as {{ dbt.type_string() }}) as source, -- noqa: RF04
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        cast(source_key as {{ dbt.type_string() }}) as source_key,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(match_rule as {{ dbt.type_string() }}) as match_rule,
        cast(match_confidence as {{ type_double() }}) as match_confidence
    from clusters

)

select * from final
