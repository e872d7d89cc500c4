"""A local emulator of the Dataiku DSS public REST API, for the real ``dataikuapi`` client.

What moto is to boto3: ``with DSSEmulator(seed_dirs=[...]) as dss:`` serves a stateful
DSS on ``dss.url`` with the admin key ``dss.api_key``. See ``docs/emulator.md``.
"""

from __future__ import annotations

from .exceptions import DSSError
from .models import DSSBackend
from .samples import SAMPLE_PROJECT_KEY, SAMPLES_DIR, sample_project_dir
from .seed import load_tree, load_trees, write_tree
from .seed_types import ProjectSeed
from .server import DSSEmulator

__all__ = [
    "SAMPLES_DIR",
    "SAMPLE_PROJECT_KEY",
    "DSSBackend",
    "DSSEmulator",
    "DSSError",
    "ProjectSeed",
    "load_tree",
    "load_trees",
    "sample_project_dir",
    "write_tree",
]
