{#
    An email address in the one form used to match records: trimmed and lowercased. Null when the
    value is empty or is not shaped like an address (no `@` with something on both sides).
    Keep the delivered value alongside (e.g. `email_raw`) so bad values stay visible.
#}
{% macro normalize_email(column) -%}
    case
        when trim({{ column }}) like '%_@_%' then lower(trim({{ column }}))
    end
{%- endmacro %}
