{#
    Every sale (cancelled, refunded and returned orders excluded, and amounts below zero, which
    are refunds rather than purchases) of a unified customer up to and including as_of_date: the purchase history BG/NBD, Gamma-Gamma, RFM and the CLV backtest
    read, each choosing its own earlier cutoff within it.
#}
with

cutoffs as (

    select * from {{ ref('feature_cutoffs') }}
    where cutoff_name = 'scoring'

),

orders as (

    select * from {{ ref('int_customer_360__orders') }}
    where customer_id is not null and is_sale and amount >= 0

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_date,
        cast(orders.amount as {{ type_double() }}) as amount,
        cast(orders.channel as {{ dbt.type_string() }}) as channel,
        cast(orders.coupon_code as {{ dbt.type_string() }}) as coupon_code
    from orders
    inner join cutoffs
        on cast(orders.ordered_at as date) <= cutoffs.cutoff_date

)

select * from final
