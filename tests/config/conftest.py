"""Config tests: pure ones build config directories in tmp_path; the round trip uses the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict

import pytest

from tests.dss_support import REPO_ROOT

EXAMPLE_CONFIG = REPO_ROOT / "examples" / "config"

ENVIRONMENTS = """\
version: 1
environments:
  dev:
    url: http://127.0.0.1:1
    api_key_env: DKU_API_KEY
"""

WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """``write_config({"projects/P/a.yml": "...", ...}, environments=...)`` -> the config directory."""

    def write(files: Dict[str, str], environments: str = ENVIRONMENTS) -> Path:
        root = tmp_path / "config"
        root.mkdir(exist_ok=True)
        if environments is not None:
            (root / "dataiku-iac.yml").write_text(environments, "utf-8")
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, "utf-8")
        return root

    return write
