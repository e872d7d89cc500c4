"""``dataiku-iac validate --config DIR [--env E] [--strict]``: every problem of a config, at once.

One line per problem, ``file:line:column: message`` (warnings say ``warning:``), then a summary. Exit 0 when
the config is valid, 1 when it has errors (or warnings, with ``--strict``). Reads no DSS and writes nothing.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Dict

from ..config.validate import validate_config
from ..report.common import clean
from .common import json_text, out


def add_parser(subparsers: Any) -> None:
    """Register the ``validate`` command."""
    parser = subparsers.add_parser(
        "validate", help="check a config directory (YAML, schema, references, flow, variables)",
        description="Check a config directory and report every problem as file:line:column: message. "
                    "Exit status 0: valid, 1: errors (with --strict, warnings too). Reads no DSS.",
    )
    parser.add_argument("--config", required=True, metavar="DIR", help="the config directory (holds dataiku-iac.yml)")
    parser.add_argument("--env", metavar="E", default=None,
                        help="check for this environment, ${env:NAME} secrets included (default: the ${var:} "
                             "references of every environment)")
    parser.add_argument("--strict", action="store_true", help="treat warnings (dangling references...) as errors")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")


def run(args: argparse.Namespace) -> int:
    """Validate and print the problems; 0 when valid."""
    result = validate_config(args.config, args.env, os.environ)
    valid = result.ok(strict=args.strict)
    if args.format == "json":
        out(json_text(_as_json(result, valid, args.strict)))
        return 0 if valid else 1
    for problem in result.problems:
        out(clean(problem))
    errors, warnings = len(result.errors), len(result.warnings)
    verdict = "valid" if valid else "invalid"
    scope = f" for environment {args.env}" if args.env else ""
    out(f"Config {clean(args.config)} is {verdict}{scope}: {errors} error(s), {warnings} warning(s)"
        + (" (--strict: warnings count as errors)" if args.strict and warnings else "") + ".")
    return 0 if valid else 1


def _as_json(result: Any, valid: bool, strict: bool) -> Dict[str, Any]:
    def entry(problem: Any) -> Dict[str, Any]:
        loc = problem.location
        return {"file": loc.file, "line": loc.line, "column": loc.column, "severity": problem.severity,
                "message": problem.message}

    return {"valid": valid, "strict": strict, "problems": [entry(problem) for problem in result.problems]}
