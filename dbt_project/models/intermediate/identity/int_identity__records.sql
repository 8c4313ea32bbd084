{#
    Every record that stands for a person, from every source, in one shape: the input of
    identity resolution (ml/identity) and of the golden record (dim_customers).
    Web events are not records one by one: a device (anonymous_id) is. A shop customer known
    only from orders (no customers file, or its row not delivered yet) is a record too, without
    details, so that a business with only orders still has its buyers.
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

orders as (

    select * from {{ ref('stg_ecommerce__orders') }}

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
        {{ identity_record(
            'crm', 'contacts', 'contact_id', 'profile', 1,
            recorded_at='coalesce(created_at, updated_at, _loaded_at)',
            updated_at='coalesce(updated_at, created_at, _loaded_at)',
            details={
                'first_name': 'first_name', 'last_name': 'last_name', 'email': 'email',
                'phone': 'phone', 'gender': 'gender', 'street': 'street', 'city': 'city',
                'postcode': 'postcode', 'country': 'country',
                'birth_date': plausible_birth_date(
                    'birth_date', 'coalesce(created_at, _loaded_at)'
                ),
            },
        ) }}
    from contacts

),

shop_customer_records as (

    select
        {{ identity_record(
            'ecommerce', 'customers', 'customer_id', 'profile', 2,
            recorded_at='coalesce(created_at, _loaded_at)',
            updated_at='coalesce(created_at, _loaded_at)',
            details={
                'first_name': 'first_name', 'last_name': 'last_name', 'email': 'email',
                'phone': 'phone', 'street': 'street', 'city': 'city', 'postcode': 'postcode',
                'country': 'country',
                'birth_date': plausible_birth_date(
                    'birth_date', 'coalesce(created_at, _loaded_at)'
                ),
            },
        ) }}
    from shop_customers

),

customers_known_from_orders as (

    select
        orders.customer_id,
        min(orders.ordered_at) as first_ordered_at,
        max(orders.ordered_at) as last_ordered_at
    from orders
    left outer join shop_customers
        on orders.customer_id = shop_customers.customer_id
    where shop_customers.customer_id is null
    group by 1

),

order_customer_records as (

    select
        {{ identity_record(
            'ecommerce', 'customers', 'customer_id', 'profile', 2,
            recorded_at='first_ordered_at', updated_at='last_ordered_at', details={},
        ) }}
    from customers_known_from_orders

),

lead_records as (

    select
        {{ identity_record(
            'crm', 'leads', 'lead_id', 'lead', 3,
            recorded_at='created_at',
            updated_at='coalesce(converted_at, created_at)',
            details={'email': 'email'},
        ) }}
    from leads

),

ticket_records as (

    select
        {{ identity_record(
            'support', 'tickets', 'ticket_id', 'interaction', 4,
            recorded_at='created_at', updated_at='created_at', details={'email': 'email'},
        ) }}
    from tickets

),

response_records as (

    select
        {{ identity_record(
            'surveys', 'responses', 'response_id', 'interaction', 5,
            recorded_at='submitted_at', updated_at='submitted_at', details={'email': 'email'},
        ) }}
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

review_signatures as (

    select
        review_id,
        posted_at,
        email,
        author_first_name,
        case
            when
                length(author_second_word) > 2
                and author_second_word not like '%.'
                then author_second_word
        end as author_last_name
    from review_authors

),

review_records as (

    select
        {{ identity_record(
            'feedback', 'reviews', 'review_id', 'interaction', 6,
            recorded_at='posted_at',
            updated_at='posted_at',
            details={
                'first_name': 'author_first_name', 'last_name': 'author_last_name',
                'email': 'email',
            },
        ) }}
    from review_signatures

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
        {{ identity_record(
            'web', 'events', 'anonymous_id', 'device', 7,
            recorded_at='first_occurred_at', updated_at='last_occurred_at', details={},
        ) }}
    from devices

),

unioned as (

    select * from contact_records
    union all
    select * from shop_customer_records
    union all
    select * from order_customer_records
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
