"""TEST STUB of ``dataiku.runnables``: the macro base class and the result table, with the real signatures."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple


class Runnable:
    """The base interface for a Python runnable (macro)."""

    def __init__(self, project_key: str, config: Dict[str, Any], plugin_config: Dict[str, Any]) -> None:
        self.project_key = project_key
        self.config = config
        self.plugin_config = plugin_config

    def get_progress_target(self) -> Optional[Tuple[Any, str]]:
        """None, or ``(target, unit)`` with unit one of SIZE, FILES, RECORDS, NONE."""
        return None

    def run(self, progress_callback: Any) -> Any:
        """Do the work; return a string (or a ResultTable), or raise."""
        raise Exception("unimplemented")


class ResultTable:
    """A table a macro can return (``resultType: RESULT_TABLE``)."""

    def __init__(self) -> None:
        self.records: List[list] = []
        self.columns: List[Dict[str, Any]] = []
        self.header = ""
        self.name = ""

    def add_column(self, name: str, display_name: str, type: str = "STRING") -> None:  # "type": the real name
        self.columns.append({"name": name, "displayName": display_name, "type": type})

    def add_record(self, record: list) -> None:
        self.records.append(record)

    def set_header(self, header: str) -> None:
        self.header = header

    def set_name(self, name: str) -> None:
        self.name = name

    def to_json(self) -> str:
        return json.dumps({"header": self.header, "columns": self.columns, "records": self.records, "name": self.name})
