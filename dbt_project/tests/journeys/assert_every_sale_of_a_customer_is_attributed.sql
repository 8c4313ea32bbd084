-- Every sale of a resolved customer has credits under each of the four attribution models.
with

orders as (

    select * from {{ ref('int_journeys__orders') }}
    where customer_id is not null

),

attribution as (

    select * from {{ ref('fct_order_attribution') }}

),

models_per_order as (

    select
        order_id,
        count(distinct attribution_model) as attribution_models
    from attribution
    group by 1

),

final as (

    select orders.order_id
    from orders
    left outer join models_per_order
        on orders.order_id = models_per_order.order_id
    where coalesce(models_per_order.attribution_models, 0) != 4

)

select * from final
