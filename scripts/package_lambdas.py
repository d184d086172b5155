#!/usr/bin/env python3
"""Build the Lambda deployment zip: the handlers of orchestration/lambdas plus the part of ``dpc`` they import.

One zip serves every function (each is ``<module>.handler``, infra/terraform/modules/pipeline). It holds:

- every handler module of ``--handlers`` at the zip's root (``dispatch.py``, ``validate_manifest.py``, …);
- the ``dpc`` modules those handlers import, found by following their imports (``import``/``from`` statements at
  module level; imports inside functions are lazy and not followed), under ``dpc/``.

The build FAILS when a module in the zip imports, at module level, anything but the standard library and
boto3/botocore (which the Lambda runtime provides): heavy steps run in the runner image, not in Lambdas
(docs/decisions/0014), so pyarrow or duckdb in the zip would be a bug. The zip is reproducible (sorted entries, fixed
timestamps and modes), so its hash changes only when the code does.

Standard library only: Terraform runs it with any ``python3``::

    python3 scripts/package_lambdas.py                      # → build/dpc-lambdas.zip
    python3 scripts/package_lambdas.py --out /tmp/x.zip --list
"""

from __future__ import annotations

import argparse
import ast
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PROVIDED = {"boto3", "botocore"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackagingError(Exception):
    pass


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def module_level_imports(source: str, filename: str) -> list[str]:
    """Dotted names imported when the module is imported (not inside functions or ``if TYPE_CHECKING``)."""
    names: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    raise PackagingError(f"{filename}: relative imports are not supported by the packager")
                module = node.module or ""
                names.append(module)
                names.extend(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(ast.parse(source, filename=filename).body)
    return names


def _dpc_file(dpc_dir: Path, dotted: str) -> Path | None:
    """The file of a dpc module (``dpc.steps.validate`` → steps/validate.py), or None for a name inside a module."""
    parts = dotted.split(".")[1:]
    if not parts:
        return dpc_dir / "__init__.py"
    as_module = dpc_dir.joinpath(*parts).with_suffix(".py")
    if as_module.is_file():
        return as_module
    as_package = dpc_dir.joinpath(*parts, "__init__.py")
    return as_package if as_package.is_file() else None


def collect(handlers_dir: Path, dpc_dir: Path) -> dict[str, Path]:
    """Zip entry name → source file, following imports from every handler; raises PackagingError on a heavy import."""
    handlers = sorted(p for p in handlers_dir.glob("*.py") if not p.name.startswith("test_"))
    if not handlers:
        raise PackagingError(f"no handler modules in {handlers_dir}")
    local = {p.stem: p for p in handlers}
    entries: dict[str, Path] = {p.name: p for p in handlers}
    queue = list(handlers)
    seen: set[Path] = set()
    problems: list[str] = []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in module_level_imports(path.read_text(encoding="utf-8"), str(path)):
            top = name.split(".")[0]
            if top == "dpc":
                target = _dpc_file(dpc_dir, name)
                if target is None:
                    continue  # a name imported from a module (from dpc.x import func)
                # every package on the way is imported too
                for depth in range(1, len(name.split("."))):
                    init = _dpc_file(dpc_dir, ".".join(name.split(".")[:depth]))
                    if init is not None and init.name == "__init__.py":
                        entries["dpc/" + init.relative_to(dpc_dir).as_posix()] = init
                        queue.append(init)
                entries["dpc/" + target.relative_to(dpc_dir).as_posix()] = target
                queue.append(target)
            elif top in local:
                queue.append(local[top])
            elif top in sys.stdlib_module_names or top in RUNTIME_PROVIDED or top == "__future__":
                continue
            else:
                problems.append(f"{path}: imports {name!r} at module level (not standard library or boto3)")
    if problems:
        raise PackagingError(
            "the Lambda package may only import the standard library and boto3 (docs/decisions/0014):\n  "
            + "\n  ".join(sorted(set(problems)))
        )
    return dict(sorted(entries.items()))


def build(handlers_dir: Path, dpc_dir: Path, out: Path) -> dict[str, Path]:
    entries = collect(handlers_dir, dpc_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, path in entries.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return entries


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--handlers", type=Path, default=ROOT / "orchestration" / "lambdas", help="handler modules")
    p.add_argument("--dpc", type=Path, default=ROOT / "dpc", help="the dpc package")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "dpc-lambdas.zip", help="zip to write")
    p.add_argument("--list", action="store_true", help="print the zip's entries")
    a = p.parse_args(argv)
    try:
        entries = build(a.handlers.resolve(), a.dpc.resolve(), a.out)
    except PackagingError as exc:
        print(f"package_lambdas: {exc}", file=sys.stderr)
        return 1
    if a.list:
        for name in entries:
            print(name)
    print(f"{a.out}: {len(entries)} modules, {a.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
