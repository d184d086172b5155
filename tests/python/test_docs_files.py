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


def test_every_decision_the_repository_cites_is_a_record_in_docs_decisions() -> None:
    """A clone explains itself: each ``docs/decisions/NNNN`` cited by code, models, infrastructure, tests or docs is
    a record in docs/decisions/ (listed in its index), and nothing cites the team's shared notes instead."""
    import re

    from dpc.paths import PROJECT_DIR

    records = {p.name[:4]: p for p in (PROJECT_DIR / "docs" / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md")}
    index = (PROJECT_DIR / "docs" / "decisions" / "README.md").read_text(encoding="utf-8")
    assert all(f"]({p.name})" in index for p in records.values()), "every record is listed in the index"
    cited: dict[str, set[str]] = {}
    stale: list[str] = []
    roots = ["dpc", "runner", "orchestration", "models", "macros", "infra", "tests", "docs", "bench", "scripts"]
    files = [PROJECT_DIR / n for n in ("README.md", "Makefile", "dbt_project.yml", "pyproject.toml")]
    for root in roots:
        files += [
            p
            for p in (PROJECT_DIR / root).rglob("*")
            if p.is_file()
            and p.suffix in {".py", ".sql", ".yml", ".yaml", ".md", ".tf", ".hcl", ".json", ".j2", ".toml"}
            and not {".terraform", "node_modules", "__pycache__"} & set(p.parts)
        ]
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for number in re.findall(r"docs/decisions/(\d{4})", text):
            cited.setdefault(number, set()).add(str(path.relative_to(PROJECT_DIR)))
        if re.search(r"DECISIONS (item|\.md)", text) and path.name != "test_docs_files.py":
            stale.append(str(path.relative_to(PROJECT_DIR)))
    assert cited, "the code cites its decisions"
    missing = {n: sorted(where)[:3] for n, where in cited.items() if n not in records}
    assert not missing, f"cited decisions without a record: {missing}"
    assert not stale, f"cite docs/decisions/NNNN-…, not the shared DECISIONS notes: {stale}"
