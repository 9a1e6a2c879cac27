"""Pinned sdists of real projects for the benchmarks: downloaded once with pip into
benchmarks/.cache (gitignored), then read from there. A requirement must pin an exact
version (`django==5.1.4`); a cached archive is used only for that exact name and version."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def fetch_sdist(requirement: str) -> Path:
    """The pinned sdist from the cache, downloaded once with pip."""
    name, _, version = requirement.partition("==")
    if not version:
        raise SystemExit(f"{requirement}: pin an exact version (name==version)")
    wanted = f"{_normalized(name)}-{version}"
    CACHE.mkdir(exist_ok=True)

    def cached() -> Path | None:
        for p in CACHE.glob("*.tar.gz"):
            base, _, ver = p.name.removesuffix(".tar.gz").rpartition("-")
            if f"{_normalized(base)}-{ver}" == wanted:
                return p
        return None

    if (found := cached()) is None:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--no-binary", ":all:", "-d", str(CACHE), requirement]  # fmt: skip
        subprocess.run(command, check=True)
        found = cached()
    if found is None:
        raise SystemExit(f"{requirement}: pip did not leave an sdist in {CACHE}")
    return found
