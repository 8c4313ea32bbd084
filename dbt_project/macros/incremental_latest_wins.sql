{#
    Incremental "latest wins" staging for the event-heavy raw tables (web events, email
    messages), equal to a full refresh.

    The watermark is the newest `_loaded_at` already staged. A build re-stages, from all of its
    raw rows, every key that has a raw row loaded after the watermark or whose staged row is no
    longer in raw (its file was re-delivered), so latest-wins deduplication sees what a full
    refresh sees. A key with no raw row left at all (a re-delivered file took it back) is deleted
    by `delete_retracted_keys`, the model's pre-hook. Both are anti-joins on the key, cheap next
    to re-sorting the whole history.
#}
{% macro keys_to_restage(raw_table, raw_key, staged_key) -%}
    select {{ raw_key }} from {{ source('raw', raw_table) }}
    where _loaded_at > (
        select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp)) from {{ this }}
    )
    union
    select staged.{{ staged_key }} from {{ this }} as staged
    where not exists (
        select 1 from {{ source('raw', raw_table) }} as raw_rows
        where
            raw_rows._source_file = staged._source_file
            and raw_rows._loaded_at = staged._loaded_at
    )
{%- endmacro %}


{% macro delete_retracted_keys(raw_table, raw_key, staged_key) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ staged_key }} not in (
            select {{ raw_key }} from {{ source('raw', raw_table) }}
            where {{ raw_key }} is not null
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
