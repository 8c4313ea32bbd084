{#
    Fails for every combination of the given columns that occurs more than once (a composite
    primary key test, written here because Hub packages such as dbt_utils are not available).

        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [order_id, product_id]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {%- set columns_csv = combination_of_columns | join(', ') %}

    select
        {{ columns_csv }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1

{% endtest %}
