{#- The physical schema (database, for Athena/Glue) of a layer. -#}
{% macro layer_schema_name(layer) -%}
    {{ return(adapter.dispatch('layer_schema_name', 'dpc_learning')(layer)) }}
{%- endmacro %}

{#- DuckDB and Redshift: the layer name itself -#}
{% macro default__layer_schema_name(layer) -%}
    {{ layer }}
{%- endmacro %}

{#- Glue databases are per environment: dpc_dev_stage, dpc_prod_mart … (target.schema holds the prefix) -#}
{% macro athena__layer_schema_name(layer) -%}
    {%- if layer.startswith(target.schema) -%}{{ layer }}{%- else -%}{{ target.schema }}_{{ layer }}{%- endif -%}
{%- endmacro %}
