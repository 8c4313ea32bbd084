{#
    A birth date, or null when it cannot be one for a record made at `recorded_at`: after the
    record was made, or more than 120 years before it (a typo such as 2085 for 1985). Identity
    matching and the golden record then ignore it; data quality reports the raw value.
#}
{% macro plausible_birth_date(birth_date, recorded_at) -%}
    case
        when
            {{ birth_date }} <= cast({{ recorded_at }} as date)
            and {{ birth_date }} > cast({{ dbt.dateadd('year', -120, recorded_at) }} as date)
            then {{ birth_date }}
    end
{%- endmacro %}
