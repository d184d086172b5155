{#-
  Regular expressions, in the syntax the three engines share (POSIX classes such as [0-9], anchors ^ $,
  alternation, groups; no look-around, no backreferences, no \d on Redshift).

  regex_matches(expression, pattern): true when the pattern occurs anywhere in the text (anchor it to
  match the whole text); null on null input.
  regex_extract(expression, pattern, group): the first match (group 0) or its first parenthesised group
  (group 1); null when nothing matches — Redshift returns '' and DuckDB '' on no match, Trino null, so all
  three are normalised to null.
-#}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'dpc_learning')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    regexp_like({{ expression }}, {{ regex_literal(pattern) }})
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, {{ regex_literal(pattern) }})
{%- endmacro %}

{#- Redshift's POSIX operator; regexp_instr would also work but returns a position -#}
{% macro redshift__regex_matches(expression, pattern) -%}
    ({{ expression }} ~ {{ regex_literal(pattern) }})
{%- endmacro %}


{% macro regex_extract(expression, pattern, group=0) -%}
    {%- if group not in (0, 1) -%}
        {{ exceptions.raise_compiler_error("regex_extract: group must be 0 (whole match) or 1 (first group); Redshift extracts no other") }}
    {%- endif -%}
    {{ return(adapter.dispatch('regex_extract', 'dpc_learning')(expression, pattern, group)) }}
{%- endmacro %}

{% macro default__regex_extract(expression, pattern, group) -%}
    regexp_extract({{ expression }}, {{ regex_literal(pattern) }}, {{ group }})
{%- endmacro %}

{% macro duckdb__regex_extract(expression, pattern, group) -%}
    nullif(regexp_extract({{ expression }}, {{ regex_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}

{#- REGEXP_SUBSTR(source, pattern, position, occurrence, 'e') returns the first subexpression -#}
{% macro redshift__regex_extract(expression, pattern, group) -%}
    {%- if group == 1 -%}
    nullif(regexp_substr({{ expression }}, {{ regex_literal(pattern) }}, 1, 1, 'e'), '')
    {%- else -%}
    nullif(regexp_substr({{ expression }}, {{ regex_literal(pattern) }}), '')
    {%- endif -%}
{%- endmacro %}

{% macro athena__regex_extract(expression, pattern, group) -%}
    nullif(regexp_extract({{ expression }}, {{ regex_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}

{#-
  A pattern as a SQL string literal. Backslashes are refused: Redshift reads them as escapes inside string
  literals and DuckDB/Trino do not, so one pattern would mean two things — write [.] or [0-9] instead.
-#}
{% macro regex_literal(pattern) -%}
    {%- if '\\' in pattern -%}
        {{ exceptions.raise_compiler_error("regex pattern " ~ pattern ~ ": no backslashes (engines disagree on them); use a class such as [.] or [0-9]") }}
    {%- endif -%}
    '{{ pattern | replace("'", "''") }}'
{%- endmacro %}
