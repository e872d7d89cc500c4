"""The header line every benchmark prints first: where and when its figures were taken.

Figures from a shared 2-core CI machine and from a laptop differ by a factor of two or more; a figure
quoted without its machine and date cannot be compared with anything.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone


def machine_line() -> str:
    """``cores 2, load 0.52, Python 3.11.7 (CPython), Linux-6.1-x86_64-with-glibc2.36, 2026-12-01 21:40 UTC``."""
    try:
        load = f", load {os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):  # not on every platform
        load = ""
    python = f"Python {platform.python_version()} ({platform.python_implementation()})"
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"cores {os.cpu_count()}{load}, {python}, {platform.platform()}, {when}"


def print_header(benchmark: str) -> None:
    """Print ``== <benchmark> | <machine line>`` (the first line of every benchmark's output)."""
    print(f"== {benchmark} | {machine_line()}", flush=True)


if __name__ == "__main__":
    print_header(sys.argv[1] if len(sys.argv) > 1 else "machine")
