{#
    Select list for a raw table's custom attributes: every column of the raw relation that is
    neither a contract column (the columns declared for the table in the sources YAML, which
    mirror sources/contract.py) nor a lineage column. Each comes out trimmed (empty -> null) when
    it is text, under a snake_case name, and followed by a comma, so call it in the middle of a
    select list:

        {{ custom_attribute_columns('raw', 'crm__leads') }}
        _source_file,

    The columns are read from the warehouse, so nothing is emitted at parse time.
#}
{% macro custom_attribute_columns(source_name, table_name) -%}
    {%- if execute -%}
        {%- set lineage_columns = ['_source_file', '_source_row', '_load_id', '_loaded_at'] -%}
        {%- set raw_columns = adapter.get_columns_in_relation(source(source_name, table_name)) -%}
        {%- set declared = [] -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.source_name == source_name and node.name == table_name -%}
                {%- for name in node.columns.keys() -%}
                    {%- do declared.append(name | lower) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if not declared -%}
            {{ exceptions.raise_compiler_error(
                "declare the contract columns of source " ~ source_name ~ "." ~ table_name
                ~ " in its sources YAML: custom attributes are the columns not declared there"
            ) }}
        {%- endif -%}
        {%- for column in raw_columns -%}
            {%- set name = column.name | lower -%}
            {%- if name not in declared and name not in lineage_columns -%}
                {%- set quoted = adapter.quote(column.name) %}
        {{ clean_text(quoted) if column.is_string() else quoted }} as {{ adapter.quote(snake_case(name)) }},
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#
    `Loyalty Tier!` -> `loyalty_tier`: lowercase, runs of other characters become one underscore.
#}
{% macro snake_case(name) -%}
    {%- set cleaned = modules.re.sub('[^a-z0-9]+', '_', name | lower).strip('_') -%}
    {{- cleaned if cleaned else name -}}
{%- endmacro %}
