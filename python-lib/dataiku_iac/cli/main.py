"""Entry point of the ``dataiku-iac`` command (subcommands arrive with the sync issue)."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from .. import __version__


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv`` and run the command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="dataiku-iac", description="DSS state and drift detection")
    parser.add_argument("--version", action="version", version=f"dataiku-iac {__version__}")
    parser.parse_args(argv)
    print(f"dataiku-iac {__version__}")
    return 0


def entry_point() -> None:
    """Console-script wrapper: exit with :func:`main`'s code."""
    sys.exit(main())
