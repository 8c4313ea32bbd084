{#
    Interest affinity by customer group: for every group (lifecycle stage, RFM group, loyalty
    tier, age band, income band, and everyone) and every CRM interest, how many of the group
    declare it, how that compares with everyone (affinity index = group rate / overall rate),
    and how many of them actually bought in the matching product category (a category matches
    an interest whose name it starts with: interest "home" -> "Home & Kitchen").
    The ML segments join in as another group type once they exist. One row per (group_type,
    group_value, interest).
#}
{%- set group_columns = ['lifecycle_stage', 'rfm_segment', 'loyalty_tier', 'age_band',
    'income_band'] -%}

with

customers as (

    select * from {{ ref('customer_360') }}

),

orders as (

    select * from {{ ref('int_customer_360__orders') }}
    where is_sale and customer_id is not null

),

order_items as (

    select * from {{ ref('stg_ecommerce__order_items') }}

),

products as (

    select * from {{ ref('stg_ecommerce__products') }}

),

customer_categories as (

    select distinct
        orders.customer_id,
        lower(products.category) as category
    from orders
    inner join order_items
        on orders.order_id = order_items.order_id
    inner join products
        on order_items.product_id = products.product_id
    where products.category is not null

),

customer_groups as (

    {% for column in group_columns %}
        select
            customer_id,
            '{{ column }}' as group_type,
            coalesce(cast({{ column }} as {{ dbt.type_string() }}), 'unknown') as group_value
        from customers
        union all
    {% endfor %}
    select
        customer_id,
        'all' as group_type,
        'all' as group_value
    from customers

),

interest_rows as (

    select
        customer_id,
        {{ split_to_rows('interests', ';') }} as interest
    from customers
    where interests is not null

),

customer_interests as (

    select distinct
        customer_id,
        lower(trim(interest)) as interest
    from interest_rows
    where trim(interest) <> ''

),

interest_purchases as (

    select
        customer_interests.customer_id,
        customer_interests.interest,
        max(case when customer_categories.customer_id is not null then 1 else 0 end)
            as has_bought_interest
    from customer_interests
    left outer join customer_categories
        on
            customer_interests.customer_id = customer_categories.customer_id
            and customer_categories.category like customer_interests.interest || '%'
    group by 1, 2

),

group_sizes as (

    select
        group_type,
        group_value,
        count(*) as group_customers
    from customer_groups
    group by 1, 2

),

group_interests as (

    select
        customer_groups.group_type,
        customer_groups.group_value,
        interest_purchases.interest,
        count(*) as interested_customers,
        sum(interest_purchases.has_bought_interest) as interested_buyers,
        avg(customers.revenue) as average_revenue
    from customer_groups
    inner join interest_purchases
        on customer_groups.customer_id = interest_purchases.customer_id
    inner join customers
        on customer_groups.customer_id = customers.customer_id
    group by 1, 2, 3

),

overall as (

    select
        group_interests.interest,
        group_interests.interested_customers,
        group_sizes.group_customers
    from group_interests
    inner join group_sizes
        on
            group_interests.group_type = group_sizes.group_type
            and group_interests.group_value = group_sizes.group_value
    where group_interests.group_type = 'all'

),

final as (

    select
        cast(group_interests.group_type as {{ dbt.type_string() }}) as group_type,
        cast(group_interests.group_value as {{ dbt.type_string() }}) as group_value,
        cast(group_interests.interest as {{ dbt.type_string() }}) as interest,
        cast(group_sizes.group_customers as {{ dbt.type_bigint() }}) as group_customers,
        cast(group_interests.interested_customers as {{ dbt.type_bigint() }})
            as interested_customers,
        cast(
            cast(group_interests.interested_customers as {{ type_double() }})
            / group_sizes.group_customers
            as {{ type_double() }}
        ) as interest_rate,
        cast(
            cast(overall.interested_customers as {{ type_double() }}) / overall.group_customers
            as {{ type_double() }}
        ) as overall_interest_rate,
        cast(
            (
                cast(group_interests.interested_customers as {{ type_double() }})
                / group_sizes.group_customers
            )
            / nullif(
                cast(overall.interested_customers as {{ type_double() }})
                / overall.group_customers, 0
            )
            as {{ type_double() }}
        ) as affinity_index,
        cast(group_interests.interested_buyers as {{ dbt.type_bigint() }}) as interested_buyers,
        cast(
            cast(group_interests.interested_buyers as {{ type_double() }})
            / group_interests.interested_customers
            as {{ type_double() }}
        ) as interest_purchase_rate,
        cast(group_interests.average_revenue as {{ type_double() }}) as average_revenue,
        cast(row_number() over (
            partition by group_interests.group_type, group_interests.group_value
            order by group_interests.interested_customers desc, group_interests.interest asc
        ) as {{ dbt.type_bigint() }}) as interest_rank
    from group_interests
    inner join group_sizes
        on
            group_interests.group_type = group_sizes.group_type
            and group_interests.group_value = group_sizes.group_value
    inner join overall
        on group_interests.interest = overall.interest

)

select * from final
