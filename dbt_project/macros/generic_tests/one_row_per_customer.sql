{#
    The model holds exactly one row per row of `customers` (matched on `column_name`, default
    customer_id): fails with every key that is missing from either side or repeated in the model.
#}
{% test one_row_per_customer(model, customers, column_name='customer_id') %}

with

model_keys as (

    select
        {{ column_name }} as customer_id,
        count(*) as model_rows
    from {{ model }}
    group by {{ column_name }}

),

customer_keys as (

    select distinct customer_id from {{ customers }}

),

final as (

    select
        coalesce(model_keys.customer_id, customer_keys.customer_id) as customer_id,
        coalesce(model_keys.model_rows, 0) as model_rows,
        customer_keys.customer_id is not null as is_customer
    from model_keys
    full outer join customer_keys
        on model_keys.customer_id = customer_keys.customer_id
    where
        model_keys.customer_id is null
        or customer_keys.customer_id is null
        or model_keys.model_rows <> 1

)

select * from final

{% endtest %}
