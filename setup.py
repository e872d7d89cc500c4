"""Build hook only (metadata is in pyproject.toml): put the drift viewer's page into the wheel.

The page lives once, in the DSS webapp folder ``webapps/drift-viewer/``; ``dataiku-iac serve`` from an installed
wheel reads it from ``dataiku_iac/webapp/static/``, which this copies at build time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PAGE_DIR = Path(__file__).resolve().parent / "webapps" / "drift-viewer"
PAGE_FILES = ("body.html", "app.js", "style.css")


class BuildWithPage(build_py):
    """``build_py`` that also copies the webapp page into the built package."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "dataiku_iac" / "webapp" / "static"
        target.mkdir(parents=True, exist_ok=True)
        for name in PAGE_FILES:
            shutil.copyfile(PAGE_DIR / name, target / name)


setup(cmdclass={"build_py": BuildWithPage})
