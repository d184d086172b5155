{#-
  The keyword that makes a CTE be computed once: `name as {{ materialized_cte() }} (…)`. DuckDB plans the
  unrolled rounds of complementary suppression (macros/disclosure_control.sql) in time exponential in their
  number when it inlines them (12 rounds: minutes instead of under a second), so each round is materialized.
  Redshift takes no such hint; Trino (Athena) inlines every CTE — each round reads the previous one once, so its
  plan stays linear in the rounds.
-#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'dpc_learning')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
