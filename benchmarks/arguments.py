"""The command-line arguments the DSS benchmarks share: the project's size and the latency of DSS."""

from __future__ import annotations

import argparse
from typing import Optional, Sequence


def project_parser(description: str, sizes: Sequence[int], note: str = "") -> argparse.ArgumentParser:
    """A parser with ``DATASETS RECIPES SCENARIOS`` (default ``sizes``) and ``--latency``."""
    parser = argparse.ArgumentParser(description=description)
    shown = " ".join(str(size) for size in sizes)
    parser.add_argument("sizes", nargs="*", type=int, default=list(sizes),
                        help=f"DATASETS RECIPES SCENARIOS (default {shown}{'; ' + note if note else ''})")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every request")
    return parser


def parse_project_args(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]],
                       recipes_at_most_datasets: bool = False) -> argparse.Namespace:
    """Parse, and refuse sizes that are not three numbers (with recipes <= datasets when asked)."""
    args = parser.parse_args(argv)
    default = " ".join(str(size) for size in parser.get_default("sizes"))
    if len(args.sizes) != 3:
        parser.error(f"give DATASETS RECIPES SCENARIOS, e.g. {default}")
    if recipes_at_most_datasets and args.sizes[1] > args.sizes[0]:
        parser.error(f"give DATASETS RECIPES SCENARIOS with RECIPES <= DATASETS, e.g. {default}")
    return args
