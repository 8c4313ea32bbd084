{#
    Monthly first-purchase cohorts: of the customers whose first sale fell in a month, how many
    bought again in each later month. One row per cohort and month since the first purchase,
    from 0 (the cohort month itself, retention 1) to the last month with orders, including
    months in which nobody came back. Customers whose history began before the data did (the
    first month's cohort) cannot be told apart from new ones: read that cohort with care.
#}
with

orders as (

    select * from {{ ref('int_journeys__orders') }}
    where customer_id is not null

),

customer_months as (

    select distinct
        customer_id,
        cast({{ dbt.date_trunc('month', 'first_ordered_at') }} as date) as cohort_month,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as order_month
    from orders

),

cohorts as (

    select
        cohort_month,
        count(distinct customer_id) as cohort_customers
    from customer_months
    group by 1

),

last_month as (

    select max(order_month) as last_order_month
    from customer_months

),

month_numbers as (

    select number as months_since_first_order
    from {{ number_series(3) }} as numbers

),

cohort_grid as (

    select
        cohorts.cohort_month,
        cohorts.cohort_customers,
        month_numbers.months_since_first_order
    from cohorts
    cross join last_month
    inner join month_numbers
        on
            month_numbers.months_since_first_order <= {{ dbt.datediff(
                'cohorts.cohort_month', 'last_month.last_order_month', 'month'
            ) }}

),

retained as (

    select
        cohort_month,
        {{ dbt.datediff('cohort_month', 'order_month', 'month') }} as months_since_first_order, -- noqa: LT05
        count(distinct customer_id) as retained_customers
    from customer_months
    group by 1, 2

),

final as (

    select
        cohort_grid.cohort_month,
        cast(cohort_grid.months_since_first_order as integer) as months_since_first_order,
        cast({{ dbt.dateadd(
            'month', 'cohort_grid.months_since_first_order', 'cohort_grid.cohort_month'
        ) }} as date) as activity_month,
        cast(cohort_grid.cohort_customers as {{ dbt.type_bigint() }}) as cohort_customers,
        cast(coalesce(retained.retained_customers, 0) as {{ dbt.type_bigint() }})
            as retained_customers,
        cast(coalesce(retained.retained_customers, 0) as {{ type_double() }})
        / cohort_grid.cohort_customers as retention_rate
    from cohort_grid
    left outer join retained
        on
            cohort_grid.cohort_month = retained.cohort_month
            and cohort_grid.months_since_first_order = retained.months_since_first_order

)

select * from final
