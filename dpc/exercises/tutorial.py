"""The tutorial's chapters (docs/tutorial/*.md): their command blocks, and their rendering into the docs site.

Every fenced ``bash`` block starts with a marker line:

- ``# tutorial:run`` — executed by tests/python/test_tutorial.py, in order, all blocks as one shell script (so an
  ``export`` or a shell variable carries over to later chapters);
- ``# tutorial:run expect-fail`` — executed, and must fail (a failing check shown on purpose; one command: in an
  ``if`` condition bash ignores ``set -e``, so only the last command's status counts);
- ``# tutorial:skip — <why>`` — not executed here; the reason names the test that runs it.

``python -m dpc.exercises.tutorial`` writes docs/dbt/tutorial.md: the chapters as the dbt doc block
``__dpc_learning__``, which the docs site shows as the project's overview (click ``dpc_learning`` in the sidebar).
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from dpc.paths import PROJECT_DIR

CHAPTERS_DIR = PROJECT_DIR / "docs" / "tutorial"
DOCS_BLOCK = PROJECT_DIR / "docs" / "dbt" / "tutorial.md"
DOC_NAME = "__dpc_learning__"
RUN, EXPECT_FAIL, SKIP = "run", "expect-fail", "skip"
_FENCE = re.compile(r"^```(\S*)\s*$")
_MARKER = re.compile(r"^# tutorial:(run expect-fail|run|skip)\b\s*(?:—|-)?\s*(.*)$")
_CHAPTER_LINK = re.compile(r"\[([^\]]+)\]\((?:\d\d-[\w-]+|README)\.md\)")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # line of the opening fence
    mode: str  # run, expect-fail, skip, or "" when the marker is missing
    reason: str
    code: str  # without the marker line

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def chapters(directory: Path = CHAPTERS_DIR) -> list[Path]:
    """README first, then the numbered chapters in order."""
    numbered = sorted(p for p in directory.glob("[0-9][0-9]-*.md"))
    readme = directory / "README.md"
    return ([readme] if readme.exists() else []) + numbered


def bash_blocks(path: Path) -> list[Block]:
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start, language = i, fence.group(1)
        i += 1
        body: list[str] = []
        while i < len(lines) and not _FENCE.match(lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # closing fence
        if language != "bash":
            continue
        marker = _MARKER.match(body[0]) if body else None
        if marker is None:
            out.append(Block(path, start + 1, "", "", "\n".join(body)))
            continue
        mode = {"run": RUN, "run expect-fail": EXPECT_FAIL, "skip": SKIP}[marker.group(1)]
        out.append(Block(path, start + 1, mode, marker.group(2).strip(), "\n".join(body[1:])))
    return out


def all_blocks(directory: Path = CHAPTERS_DIR) -> list[Block]:
    return [b for path in chapters(directory) for b in bash_blocks(path)]


def script(blocks: list[Block]) -> str:
    """One bash script running the ``run`` blocks in order; each announces itself; expect-fail blocks must fail."""
    parts = ["set -euo pipefail"]
    for n, b in enumerate(b for b in blocks if b.mode in (RUN, EXPECT_FAIL)):
        parts.append(f"echo {shlex.quote(f'### tutorial block {n + 1} ({b.where}, {b.mode})')}")
        if b.mode == RUN:
            parts.append(b.code)
        else:
            parts.append(
                f"if (\n{b.code}\n); then\n  echo {shlex.quote(f'{b.where}: expected to fail')} >&2\n  exit 1\nfi"
            )
    parts.append("echo '### tutorial finished'")
    return "\n".join(parts) + "\n"


def render_docs(directory: Path = CHAPTERS_DIR) -> str:
    """docs/dbt/tutorial.md: every chapter in one doc block, verbatim inside {% raw %} (the SQL shows Jinja)."""
    texts = []
    for path in chapters(directory):
        text = path.read_text(encoding="utf-8").strip()
        text = _CHAPTER_LINK.sub(r"**\1**", text)  # chapters follow each other on one page
        texts.append(text)
    body = "\n\n---\n\n".join(texts)
    if "{% endraw %}" in body:
        raise ValueError("a chapter contains {% endraw %}: it cannot be rendered into a doc block")
    return (
        "{#- Generated from docs/tutorial/*.md by `python -m dpc.exercises.tutorial` — edit the chapters, not this. -#}\n"
        f"{{% docs {DOC_NAME} %}}\n{{% raw %}}\n{body}\n{{% endraw %}}\n{{% enddocs %}}\n"
    )


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    text = render_docs()
    if args == ["--check"]:
        current = DOCS_BLOCK.read_text(encoding="utf-8") if DOCS_BLOCK.exists() else ""
        if current != text:
            print(f"{DOCS_BLOCK} is out of date: run `python -m dpc.exercises.tutorial`", file=sys.stderr)
            return 1
        return 0
    DOCS_BLOCK.write_text(text, encoding="utf-8")
    print(DOCS_BLOCK)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
