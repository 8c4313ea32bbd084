{#
    Every record that stands for a person, from every source, in one shape: the input of
    identity resolution (ml/identity) and of the golden record (dim_customers).
    Web events are not records one by one: a device (anonymous_id) is.
#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

shop_customers as (

    select * from {{ ref('stg_ecommerce__customers') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

reviews as (

    select * from {{ ref('stg_feedback__reviews') }}

),

events as (

    select * from {{ ref('stg_web__events') }}

),

contact_records as (

    select
        'crm' as source, -- noqa: RF04
        'contacts' as source_table,
        contact_id as source_key,
        'profile' as record_kind,
        1 as source_priority,
        first_name,
        last_name,
        email,
        phone,
        {{ plausible_birth_date('birth_date', 'coalesce(created_at, _loaded_at)') }} as birth_date,
        gender,
        street,
        city,
        postcode,
        country,
        coalesce(created_at, updated_at, _loaded_at) as recorded_at,
        coalesce(updated_at, created_at, _loaded_at) as updated_at
    from contacts

),

shop_customer_records as (

    select
        'ecommerce' as source, -- noqa: RF04
        'customers' as source_table,
        customer_id as source_key,
        'profile' as record_kind,
        2 as source_priority,
        first_name,
        last_name,
        email,
        phone,
        {{ plausible_birth_date('birth_date', 'coalesce(created_at, _loaded_at)') }} as birth_date,
        cast(null as {{ dbt.type_string() }}) as gender,
        street,
        city,
        postcode,
        country,
        coalesce(created_at, _loaded_at) as recorded_at,
        coalesce(created_at, _loaded_at) as updated_at
    from shop_customers

),

lead_records as (

    select
        'crm' as source, -- noqa: RF04
        'leads' as source_table,
        lead_id as source_key,
        'lead' as record_kind,
        3 as source_priority,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as country,
        created_at as recorded_at,
        coalesce(converted_at, created_at) as updated_at
    from leads

),

ticket_records as (

    select
        'support' as source, -- noqa: RF04
        'tickets' as source_table,
        ticket_id as source_key,
        'interaction' as record_kind,
        4 as source_priority,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as country,
        created_at as recorded_at,
        created_at as updated_at
    from tickets

),

response_records as (

    select
        'surveys' as source, -- noqa: RF04
        'responses' as source_table,
        response_id as source_key,
        'interaction' as record_kind,
        5 as source_priority,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as country,
        submitted_at as recorded_at,
        submitted_at as updated_at
    from responses

),

-- A review is signed "Anna Smith", "Anna S." or "Anna": the second word is a family name only
-- when it is more than an initial.
review_authors as (

    select
        review_id,
        posted_at,
        email,
        nullif({{ dbt.split_part('author_name', "' '", 1) }}, '') as author_first_name,
        nullif({{ dbt.split_part('author_name', "' '", 2) }}, '') as author_second_word
    from reviews

),

review_records as (

    select
        'feedback' as source, -- noqa: RF04
        'reviews' as source_table,
        review_id as source_key,
        'interaction' as record_kind,
        6 as source_priority,
        author_first_name as first_name,
        case
            when
                length(author_second_word) > 2
                and author_second_word not like '%.'
                then author_second_word
        end as last_name,
        email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as country,
        posted_at as recorded_at,
        posted_at as updated_at
    from review_authors

),

devices as (

    select
        anonymous_id,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at
    from events
    where anonymous_id is not null
    group by 1

),

device_records as (

    select
        'web' as source, -- noqa: RF04
        'events' as source_table,
        anonymous_id as source_key,
        'device' as record_kind,
        7 as source_priority,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as country,
        first_occurred_at as recorded_at,
        last_occurred_at as updated_at
    from devices

),

unioned as (

    select * from contact_records
    union all
    select * from shop_customer_records
    union all
    select * from lead_records
    union all
    select * from ticket_records
    union all
    select * from response_records
    union all
    select * from review_records
    union all
    select * from device_records

),

final as (

    select
        {{ dbt.concat(["source", "'/'", "source_table", "'/'", "source_key"]) }} as record_id,
        source, -- noqa: RF04
        source_table,
        source_key,
        record_kind,
        source_priority,
        first_name,
        last_name,
        email,
        phone,
        birth_date,
        gender,
        street,
        city,
        postcode,
        country,
        recorded_at,
        updated_at
    from unioned

)

select * from final
