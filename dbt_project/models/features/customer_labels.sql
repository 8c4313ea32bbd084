{#
    Churn labels at the churn_training and churn_backtest cutoffs (feature_cutoffs): for
    every customer with a sale on or before the cutoff, their sales in the horizon that follows
    it, (cutoff_date, cutoff_date + horizon_days], which ends on or before as_of_date. A customer
    with no sale in it has churned. Their features are customer_features at the same cutoff.
#}
with

cutoffs as (

    select * from {{ ref('feature_cutoffs') }}
    where cutoff_name in ('churn_training', 'churn_backtest')

),

sales as (

    select
        customer_id,
        cast(ordered_at as date) as ordered_date,
        amount
    from {{ ref('int_customer_360__orders') }}
    where customer_id is not null and is_sale and amount >= 0

),

customers_at_cutoff as (

    select distinct
        cutoffs.cutoff_name,
        sales.customer_id
    from sales
    inner join cutoffs
        on sales.ordered_date <= cutoffs.cutoff_date

),

horizon_sales as (

    select
        cutoffs.cutoff_name,
        sales.customer_id,
        count(*) as orders_in_horizon,
        sum(sales.amount) as revenue_in_horizon
    from sales
    inner join cutoffs
        on
            sales.ordered_date > cutoffs.cutoff_date
            and sales.ordered_date
            <= {{ dbt.dateadd('day', 'cutoffs.horizon_days', 'cutoffs.cutoff_date') }}
    group by 1, 2

),

final as (

    select
        cast(cutoffs.cutoff_name as {{ dbt.type_string() }}) as cutoff_name,
        cutoffs.cutoff_date,
        cutoffs.horizon_days,
        customers_at_cutoff.customer_id,
        cast(coalesce(horizon_sales.orders_in_horizon, 0) as {{ dbt.type_int() }})
            as orders_in_horizon,
        cast(coalesce(horizon_sales.revenue_in_horizon, 0) as {{ type_double() }})
            as revenue_in_horizon,
        horizon_sales.customer_id is null as is_churned
    from customers_at_cutoff
    inner join cutoffs
        on customers_at_cutoff.cutoff_name = cutoffs.cutoff_name
    left outer join horizon_sales
        on
            customers_at_cutoff.cutoff_name = horizon_sales.cutoff_name
            and customers_at_cutoff.customer_id = horizon_sales.customer_id

)

select * from final
