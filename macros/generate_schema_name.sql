{#-
  Layers map onto schemas named after them (raw, stage, mart_build, mart, ref, dq), never onto
  "<target schema>_<layer>". A learner (DPC_LEARNER) builds into "<learner>_<layer>" sandboxes and never
  touches the shared layers. Engines that need a prefix (Athena: one Glue database per layer and
  environment) add it in layer_schema_name.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set layer = (custom_schema_name or target.schema) | trim -%}
    {%- set learner = env_var('DPC_LEARNER', '') | trim | lower -%}
    {%- if learner and layer not in ('raw', 'ref') -%}
        {%- set layer = learner ~ '_' ~ layer -%}
    {%- endif -%}
    {{ layer_schema_name(layer) }}
{%- endmacro %}
