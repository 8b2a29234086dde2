"""`python -m onething.catalog.check DIR`: check catalog YAML without a database."""

from __future__ import annotations

import sys
from pathlib import Path

from onething.catalog.yamlio import check_path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m onething.catalog.check PATH", file=sys.stderr)
        return 2
    cat, errors = check_path(Path(argv[0]))
    for err in errors:
        print(f"{err.location}: {err.message}")
    if errors:
        print(f"{len(errors)} error(s)")
        return 1
    print(
        f"OK: {len(cat.regions)} regions, {len(cat.departments)} departments, "
        f"{len(cat.items)} items, {len(cat.bundles)} bundles"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
