{#
    A phone number in E.164 form (`+447700900123`), or null if it cannot be one.

    - `+...` and `00...` are international already; everything but digits is dropped, including
      a trunk `(0)` written inside an international number (`+44 (0)20 7946 0958`).
    - A national number with its trunk `0` (`07700 900123`) gets the default country code
      (var `default_phone_country_code`, or the `country_code` argument).
    - Bare digits that start with the default country code and are long enough to hold a
      subscriber number as well (country code + 9 or more digits, e.g. `447700900123`) are read
      as international; other bare digits as a national number without its trunk `0`.
    - The result must have 7 to 15 digits (the E.164 limits), otherwise it is null.

    Each step is an anchored regexp_replace (the 'g' flag where it must repeat), which behaves the
    same on DuckDB (RE2) and PostgreSQL.
#}
{% macro normalize_phone(column, country_code=none) -%}
    {%- set country_code = (country_code or var('default_phone_country_code', '44'))
        | string | replace('+', '') | trim -%}
    {%- if not country_code.isdigit() -%}
        {{ exceptions.raise_compiler_error(
            "normalize_phone: the country code must be digits, got '" ~ country_code ~ "'"
        ) }}
    {%- endif -%}
    {#- international prefix written as + becomes 00 -#}
    {%- set phone = "regexp_replace(trim(regexp_replace(" ~ column ~ ", '[(]0[)]', '', 'g')), "
        ~ "'^[+]', '00')" -%}
    {%- set phone = "regexp_replace(" ~ phone ~ ", '[^0-9]', '', 'g')" -%}
    {#- national number with trunk 0: the trunk 0 becomes 00 + country code -#}
    {%- set phone = "regexp_replace(" ~ phone ~ ", '^0([1-9])', '00" ~ country_code ~ "\\1')" -%}
    {#- bare country code + subscriber number -#}
    {%- set phone = "regexp_replace(" ~ phone ~ ", '^(" ~ country_code ~ "[0-9]{9,})$', '00\\1')" -%}
    {#- bare national number without its trunk 0 -#}
    {%- set phone = "regexp_replace(" ~ phone ~ ", '^([1-9])', '00" ~ country_code ~ "\\1')" -%}
    {#- 00 + 7 to 15 digits is the E.164 number; anything else is left without a + -#}
    {%- set phone = "regexp_replace(" ~ phone ~ ", '^00([0-9]{7,15})$', '+\\1')" -%}
    case when {{ phone }} like '+%' then {{ phone }} end
{%- endmacro %}
