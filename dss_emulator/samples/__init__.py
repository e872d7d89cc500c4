"""Sample DSS project trees shipped with the emulator (written for this project, not copied).

``CUSTOMER_ANALYTICS`` is laid out as DSS's git integration writes a project: two datasets,
a python recipe between them, a step-based scenario, a managed folder and a saved model.
"""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent
SAMPLE_PROJECT_KEY = "CUSTOMER_ANALYTICS"


def sample_project_dir(key: str = SAMPLE_PROJECT_KEY) -> Path:
    """The tree of one shipped sample project."""
    path = SAMPLES_DIR / key
    if not (path / "params.json").is_file():
        raise FileNotFoundError(f"No sample project {key!r} in {SAMPLES_DIR}")
    return path
