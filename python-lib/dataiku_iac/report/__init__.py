"""Renderers of diffs: each turns the engine's list of :class:`ResourceDiff` into one output form."""

from __future__ import annotations

from .json_report import JSON_REPORT_FORMAT_VERSION, diffs_to_json

__all__ = ["JSON_REPORT_FORMAT_VERSION", "diffs_to_json"]
