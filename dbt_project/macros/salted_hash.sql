{#
    Hex SHA-256 of a salt followed by the value: a join key for a value (an email) that must not
    be readable. The salt comes from env var BINESH_EMAIL_HASH_SALT (set it in production; the
    empty default gives a plain, guessable hash). Null stays null. Note that the salt is written
    into the compiled SQL under target/, like any env_var value.
#}
{% macro salted_hash(column) -%}
    {%- set salt = env_var('BINESH_EMAIL_HASH_SALT', '') | replace("'", "''") -%}
    {{ return(adapter.dispatch('salted_hash')(column, salt)) }}
{%- endmacro %}

{% macro default__salted_hash(column, salt) -%}
    encode(sha256(convert_to('{{ salt }}' || {{ column }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro duckdb__salted_hash(column, salt) -%}
    sha256('{{ salt }}' || {{ column }})
{%- endmacro %}

{% macro spark__salted_hash(column, salt) -%}
    sha2(concat('{{ salt }}', {{ column }}), 256)
{%- endmacro %}
