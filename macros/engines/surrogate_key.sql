{#-
  A stable key from non-secret columns (md5 of the values joined by '|', nulls spelled '∅').
  Pseudonymisation of patients is NOT done here: the normaliser already replaced データ識別番号 by an HMAC.
-#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '∅')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
