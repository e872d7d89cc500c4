"""``dataiku-iac demo``: the whole story on an embedded DSS emulator (placeholder until the manager lands)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``demo`` command."""
    subparsers.add_parser("demo", help="run the drift demo on an emulated DSS")


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    raise NotImplementedError
