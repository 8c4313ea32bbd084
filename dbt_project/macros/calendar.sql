{#
    Calendar parts of a timestamp, the same on DuckDB, PostgreSQL and Spark.
    day_of_week: 0 = Sunday … 6 = Saturday (extract(dow) on DuckDB and PostgreSQL).
    hour_of_day: 0 … 23.
    weekday_name: monday … sunday.
    season: meteorological seasons of the northern hemisphere (winter = December to February).
#}
{% macro day_of_week(timestamp) -%}
    {{ return(adapter.dispatch('day_of_week')(timestamp)) }}
{%- endmacro %}

{% macro default__day_of_week(timestamp) -%}
    cast(extract(dow from {{ timestamp }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__day_of_week(timestamp) -%}
    (dayofweek({{ timestamp }}) - 1)
{%- endmacro %}


{% macro hour_of_day(timestamp) -%}
    cast(extract(hour from {{ timestamp }}) as {{ dbt.type_int() }})
{%- endmacro %}


{% macro weekday_name(timestamp) -%}
    case {{ day_of_week(timestamp) }}
        when 0 then 'sunday'
        when 1 then 'monday'
        when 2 then 'tuesday'
        when 3 then 'wednesday'
        when 4 then 'thursday'
        when 5 then 'friday'
        when 6 then 'saturday'
    end
{%- endmacro %}


{% macro season(timestamp) -%}
    case
        when extract(month from {{ timestamp }}) in (12, 1, 2) then 'winter'
        when extract(month from {{ timestamp }}) in (3, 4, 5) then 'spring'
        when extract(month from {{ timestamp }}) in (6, 7, 8) then 'summer'
        else 'autumn'
    end
{%- endmacro %}
