"""Property: after a successful apply of any config onto an empty project, ``plan`` shows no changes and
``drift`` finds nothing (the state equals what a sync reads), on the emulator over HTTP, through the CLI.

Random configs: a project (name, description, tags, variables), 1-6 datasets (paths, formats, schemas,
descriptions, tags), 0-2 managed folders, python recipes that each write a dataset of their own and read
datasets earlier in the list (and sometimes a folder), 0-2 scenarios (active or not, with a build step of a
dataset or none).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_profiles import property_settings

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli.main import main

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).map(lambda s: "x" + s)
TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters="\\${}"),
               max_size=20)
COLUMN_TYPES = st.sampled_from(["string", "int", "bigint", "double", "boolean", "date"])


@st.composite
def configs(draw: Any) -> Dict[str, Any]:
    names = draw(st.lists(NAME, min_size=1, max_size=6, unique=True))
    datasets: Dict[str, Any] = {}
    for name in names:
        body: Dict[str, Any] = {"type": "Filesystem", "managed": False,
                                "formatType": draw(st.sampled_from(["csv", "parquet", "json"])),
                                "params": {"connection": "filesystem_root", "path": f"/data/{name}"}}
        if draw(st.booleans()):
            columns = draw(st.lists(NAME, min_size=1, max_size=4, unique=True))
            body["schema"] = {"columns": [{"name": c, "type": draw(COLUMN_TYPES)} for c in columns]}
        if draw(st.booleans()):
            body["description"] = draw(TEXT)
        if draw(st.booleans()):
            body["tags"] = draw(st.lists(NAME, max_size=3, unique=True))
        datasets[name] = body
    folders = {f"folder_{i}": {"type": "Filesystem", "params": {"connection": "filesystem_folders"}}
               for i in range(draw(st.integers(0, 2)))}
    recipes: Dict[str, Any] = {}
    for index, output in enumerate(names[1:], start=1):
        if not draw(st.booleans()):
            continue
        inputs = draw(st.lists(st.sampled_from(names[:index]), max_size=2, unique=True))
        items: list = list(inputs)
        if folders and draw(st.booleans()):
            items.append({"folder": draw(st.sampled_from(sorted(folders)))})
        recipes[f"compute_{output}"] = {"type": "python", "inputs": items, "outputs": [output],
                                        "payload": f"# writes {output}\n{draw(TEXT)}\n"}
    scenarios: Dict[str, Any] = {}
    for index in range(draw(st.integers(0, 2))):
        steps = []
        if draw(st.booleans()):
            steps = [{"id": f"build_{index}", "type": "build_flowitem", "name": "Build",
                      "params": {"builds": [{"type": "DATASET", "itemId": draw(st.sampled_from(names))}]}}]
        scenarios[f"Scenario {index}"] = {"type": "step_based", "active": draw(st.booleans()),
                                          "params": {"steps": steps}}
    project: Dict[str, Any] = {"name": draw(TEXT.filter(lambda s: s.strip() != "")) if draw(st.booleans())
                               else "Property test"}
    if draw(st.booleans()):
        project["description"] = draw(TEXT)
    if draw(st.booleans()):
        project["tags"] = draw(st.lists(NAME, max_size=3, unique=True))
    if draw(st.booleans()):
        project["variables"] = {"standard": {draw(NAME): draw(TEXT)}, "local": {}}
    return {"project": project, "datasets": datasets, "managed_folders": folders, "recipes": recipes,
            "scenarios": scenarios}


def write_config(root: Path, url: str, key: str, config: Dict[str, Any]) -> None:
    project = root / "projects" / key
    project.mkdir(parents=True)
    (root / "dataiku-iac.yml").write_text(yaml.safe_dump(
        {"version": 1, "environments": {"dev": {"url": url, "api_key_env": "DKU_API_KEY"}}}), "utf-8")
    for name, body in config.items():
        if body or name == "project":
            (project / f"{name}.yml").write_text(yaml.safe_dump({name: body}, sort_keys=False, allow_unicode=True),
                                                 "utf-8")


@pytest.fixture(scope="module")
def emulator(emulator_pool):
    """The suite's emulator with no project, reset once: hypothesis runs every example in one test call."""
    return emulator_pool.reset("bare")


COUNTER = iter(range(10**6))


@contextmanager
def cli_workdir(emulator: Any) -> Iterator[None]:
    """A fresh working directory with the command line pointed at ``emulator``, both put back afterwards
    (hypothesis runs many examples in one test: pytest's per-test fixtures would be shared between them)."""
    previous = os.getcwd()
    saved_env = {name: os.environ.get(name) for name in ("DKU_DSS_URL", "DKU_API_KEY")}
    os.environ.update(DKU_DSS_URL=emulator.url, DKU_API_KEY=emulator.api_key)
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)
        try:
            yield
        finally:
            os.chdir(previous)
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@property_settings(max_examples=15)
@given(config=configs())
def test_after_apply_plan_has_no_changes_and_drift_finds_nothing(emulator, config):
    key = f"PROP_{next(COUNTER)}"
    with cli_workdir(emulator):
        write_config(Path("config"), emulator.url, key, config)
        assert main(["apply", "--config", "config", "--auto-approve"]) == 0
        managed = LocalFileBackend(Path(".dataiku/state/dev.state.json")).load().managed
        assert len(managed) == 1 + sum(len(config[kind]) for kind in
                                       ("datasets", "managed_folders", "recipes", "scenarios"))
        assert main(["plan", "--config", "config"]) == 0
        assert main(["drift"]) == 0
