{#
    Two-sided p-value of a standard normal test statistic z: P(|Z| >= |z|) = erfc(|z| / sqrt(2)).
    erfc comes from the Abramowitz & Stegun 7.1.26 approximation (absolute error below 1.5e-7),
    in plain arithmetic (abs, sqrt, exp) so that it runs on any warehouse. Null when z is null.
#}
{% macro normal_two_sided_p_value(z) -%}
    {%- set x = "(abs(" ~ z ~ ") / sqrt(2.0))" -%}
    {%- set t = "(1.0 / (1.0 + 0.3275911 * " ~ x ~ "))" -%}
    (
        {{ t }} * (0.254829592 + {{ t }} * (-0.284496736 + {{ t }} * (1.421413741
        + {{ t }} * (-1.453152027 + {{ t }} * 1.061405429))))
        * exp(-1.0 * {{ x }} * {{ x }})
    )
{%- endmacro %}


{#
    z statistic of a two-proportion test (pooled standard error) of successes_b / trials_b
    against successes_a / trials_a. Null when either group is empty or the pooled rate is 0 or 1.
#}
{% macro two_proportion_z(successes_a, trials_a, successes_b, trials_b) -%}
    {%- set pooled = "(cast(" ~ successes_a ~ " + " ~ successes_b ~ " as " ~ type_double()
        ~ ") / nullif(" ~ trials_a ~ " + " ~ trials_b ~ ", 0))" -%}
    (
        (
            cast({{ successes_b }} as {{ type_double() }}) / nullif({{ trials_b }}, 0)
            - cast({{ successes_a }} as {{ type_double() }}) / nullif({{ trials_a }}, 0)
        )
        / nullif(
            sqrt(
                {{ pooled }} * (1 - {{ pooled }})
                * (1.0 / nullif({{ trials_a }}, 0) + 1.0 / nullif({{ trials_b }}, 0))
            ),
            0
        )
    )
{%- endmacro %}
