"""Build the Lambda deployment zip: the handlers of orchestration/lambdas at the zip's root plus the dpc package.

Called by the pipeline module (terraform_data + local-exec) because the archive provider is not part of the
provider mirror. The zip is reproducible: sorted entries, fixed timestamps and permissions, no __pycache__.

    python infra/scripts/package_lambdas.py --handlers orchestration/lambdas --dpc dpc --out build/lambdas.zip
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__", "tests", ".pytest_cache"}


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not (SKIP_DIRS & set(p.relative_to(root).parts)) and p.suffix != ".pyc"
    )


def build(handlers: Path, dpc: Path, out: Path) -> int:
    entries: list[tuple[str, Path]] = [(p.relative_to(handlers).as_posix(), p) for p in _files(handlers)]
    entries += [(f"dpc/{p.relative_to(dpc).as_posix()}", p) for p in _files(dpc)]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--handlers", type=Path, required=True)
    ap.add_argument("--dpc", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    n = build(args.handlers, args.dpc, args.out)
    print(f"wrote {args.out} ({n} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
