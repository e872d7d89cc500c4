"""Renderers of diffs: ``json_report`` builds the one intermediate form (the drift report dict), ``text`` and
``html`` render it, and ``common`` holds what they and the CLI share (summary sentence, escaping of DSS text)."""

from __future__ import annotations

from .json_report import JSON_REPORT_FORMAT_VERSION, diffs_to_json

__all__ = ["JSON_REPORT_FORMAT_VERSION", "diffs_to_json"]
