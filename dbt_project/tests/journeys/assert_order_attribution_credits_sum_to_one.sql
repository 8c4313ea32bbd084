-- Every attributed order's credits sum to 1 under every attribution model.
select
    order_id,
    attribution_model,
    sum(credit) as total_credit
from {{ ref('fct_order_attribution') }}
group by 1, 2
having abs(sum(credit) - 1) > 0.000001
