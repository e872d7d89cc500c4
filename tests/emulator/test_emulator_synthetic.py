"""The synthetic project generator: deterministic, realistic, wired as a flow, loadable and servable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dss_emulator import DSSEmulator, load_tree
from dss_emulator.synthetic import generate_project, generate_tree


def as_json(seed: object) -> str:
    return json.dumps(seed.__dict__, sort_keys=True)


def test_deterministic_for_a_seed() -> None:
    a = generate_project("BENCH", datasets=40, recipes=30, scenarios=5, folders=3, seed=1)
    b = generate_project("BENCH", datasets=40, recipes=30, scenarios=5, folders=3, seed=1)
    c = generate_project("BENCH", datasets=40, recipes=30, scenarios=5, folders=3, seed=2)
    assert as_json(a) == as_json(b)
    assert as_json(a) != as_json(c)


def test_sizes_and_realism() -> None:
    project = generate_project("BENCH", datasets=60, recipes=45, scenarios=8, folders=4)
    assert (len(project.datasets), len(project.recipes), len(project.scenarios), len(project.managed_folders)) == (
        60, 45, 8, 4)
    for definition in project.datasets.values():
        assert 10 <= len(definition["schema"]["columns"]) <= 40
        assert 1_500 <= len(json.dumps(definition)) <= 12_000  # "a few KB"
    types = {d["type"] for d, _ in project.recipes.values()}
    assert {"python", "grouping", "shaker"} <= types
    for definition, payload in project.recipes.values():
        assert payload
        if definition["type"] in ("grouping", "shaker", "join"):
            assert isinstance(json.loads(payload), dict)
    assert any(d["type"] == "custom_python" and s for d, s in project.scenarios.values())
    assert all(len(folder_id) == 8 for folder_id in project.managed_folders)


def test_recipes_form_a_flow() -> None:
    project = generate_project("FLOW", datasets=50, recipes=40, seed=5)
    produced: set[str] = set()
    order = list(project.datasets)
    for definition, _ in project.recipes.values():
        (output,) = [i["ref"] for i in definition["outputs"]["main"]["items"]]
        inputs = [i["ref"] for i in definition["inputs"]["main"]["items"]]
        assert output in project.datasets
        assert output not in produced  # one producer per dataset
        # Inputs exist and come before the output: the flow is acyclic.
        assert all(order.index(i) < order.index(output) for i in inputs)
        produced.add(output)
    assert len(produced) == 40
    assert len(set(order) - produced) == 10  # the sources


def test_invalid_sizes() -> None:
    with pytest.raises(ValueError, match="fewer than datasets"):
        generate_project("X", datasets=3, recipes=3)
    with pytest.raises(ValueError):
        generate_project("X", datasets=0, recipes=0)


def test_tree_roundtrip(tmp_path: Path) -> None:
    tree = generate_tree(tmp_path, "TREE", datasets=12, recipes=9, scenarios=4, folders=2, seed=9)
    assert tree == tmp_path / "TREE"
    assert load_tree(tree) == generate_project("TREE", datasets=12, recipes=9, scenarios=4, folders=2, seed=9)


def test_served_through_dataikuapi() -> None:
    with DSSEmulator() as dss:
        dss.add_synthetic_project("SYN", datasets=30, recipes=25, scenarios=4, folders=2, seed=3)
        project = dss.client().get_project("SYN")
        assert len(project.list_datasets()) == 30
        recipes = project.list_recipes()
        assert len(recipes) == 25
        settings = project.get_recipe(recipes[0].name).get_settings()
        assert settings.get_payload()
        assert len(project.list_scenarios()) == 4
        assert len(project.list_managed_folders()) == 2
