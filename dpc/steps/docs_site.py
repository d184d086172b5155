"""The docs site names the relations analysts read: the published ``mart``, not the ``mart_build`` dbt builds into.

dbt documents each mart model where it builds and audits it (``mart_build``, write-audit-publish,
docs/decisions/0009); the publish step copies it into ``mart`` with the same columns, and analysts are told to read
``mart``. The site (``dbt docs generate --static``, docs/decisions/0012) would show ``mart_build.fct_admissions``.
Rather than parse the project a second time with other schema names (a second parse state, and dbt would re-parse
in full on the next build), the page is rewritten from dbt's own ``manifest.json`` and ``catalog.json``: every model
in a ``…mart_build`` schema is shown in the matching ``…mart`` schema (``mart`` locally and on Redshift,
``<prefix>_mart`` on Athena). ``target/manifest.json`` and ``catalog.json`` stay as dbt wrote them (state
comparisons read them); only the one-file page changes. Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BUILD_LAYER = "mart_build"
PUBLISHED_LAYER = "mart"
# dbt's docs page (target/index.html, copied there by `dbt docs generate`) holds these placeholders; --static
# replaces them with the two JSON documents, and so does this module
MANIFEST_PLACEHOLDER = '"MANIFEST.JSON INLINE DATA"'
CATALOG_PLACEHOLDER = '"CATALOG.JSON INLINE DATA"'


def published_schema(schema: str) -> str:
    """``mart_build`` → ``mart``, ``dpc_dev_mart_build`` → ``dpc_dev_mart``; any other schema unchanged."""
    if schema == BUILD_LAYER or schema.endswith("_" + BUILD_LAYER):
        return schema[: -len(BUILD_LAYER)] + PUBLISHED_LAYER
    return schema


def _relation(name: str | None, old: str, new: str) -> str | None:
    """Swap the schema part of a rendered relation name (``"dpc"."mart_build"."x"`` or unquoted)."""
    if not name:
        return name
    for quoted_old, quoted_new in ((f'"{old}".', f'"{new}".'), (f"`{old}`.", f"`{new}`."), (f".{old}.", f".{new}.")):
        if quoted_old in name:
            return name.replace(quoted_old, quoted_new, 1)
    return name


def present_published(manifest: dict[str, Any], catalog: dict[str, Any]) -> list[str]:
    """Rename, in place, every model built in a mart_build schema to its published schema, in the manifest (node,
    relation name, semantic models' node relations) and the catalog. Returns the unique ids renamed."""
    renamed: dict[str, tuple[str, str]] = {}
    for uid, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "model":
            continue
        old = node.get("schema") or ""
        new = published_schema(old)
        if new != old:
            node["schema"] = new
            node["relation_name"] = _relation(node.get("relation_name"), old, new)
            renamed[uid] = (old, new)
    for semantic in manifest.get("semantic_models", {}).values():
        relation = semantic.get("node_relation") or {}
        old = relation.get("schema_name") or ""
        new = published_schema(old)
        if new != old:
            relation["schema_name"] = new
            relation["relation_name"] = _relation(relation.get("relation_name"), old, new)
    for uid, entry in catalog.get("nodes", {}).items():
        metadata = entry.get("metadata") or {}
        if uid in renamed and metadata.get("schema") == renamed[uid][0]:
            metadata["schema"] = renamed[uid][1]
    return sorted(renamed)


def write_static_site(target_dir: Path, out: Path) -> list[str]:
    """The one-file docs page from ``target_dir``'s index.html, manifest.json and catalog.json, with the mart models
    under their published schema; written to ``out`` (may be ``target_dir / "static_index.html"``)."""
    manifest = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target_dir / "catalog.json").read_text(encoding="utf-8"))
    renamed = present_published(manifest, catalog)
    page = (target_dir / "index.html").read_text(encoding="utf-8")
    if MANIFEST_PLACEHOLDER not in page or CATALOG_PLACEHOLDER not in page:
        raise ValueError(f"{target_dir / 'index.html'} is not dbt's docs page (no inline-data placeholders)")
    # the same substitution dbt's --static makes (str.replace of the placeholders, JSON as dbt writes it)
    page = page.replace(MANIFEST_PLACEHOLDER, json.dumps(manifest), 1)
    page = page.replace(CATALOG_PLACEHOLDER, json.dumps(catalog), 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return renamed
