"""docs/files.md is generated from the layout table and the code lists: it must say what the reader does."""

from __future__ import annotations

from dpc import docs_files
from dpc.layouts import LAYOUTS


def test_files_page_is_current() -> None:
    assert docs_files.main(["--check"]) == 0, "run: python -m dpc.docs_files"


def test_files_page_describes_every_kind_with_its_pages() -> None:
    text = docs_files.render()
    for kind, layout in LAYOUTS.items():
        assert f"## {kind} — " in text
        for page in layout.pages:
            assert f"p{page}" in text


def test_raw_sources_yaml_is_current() -> None:
    """models/raw/_dpc__sources.yml describes exactly what the normaliser writes (python -m dpc.dbt_sources)."""
    from dpc import dbt_sources

    assert dbt_sources.main(["--check"]) == 0, "run: python -m dpc.dbt_sources"
