"""The plan file (read back as apply will) and the renderers (escaping, known after apply, summary line)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dataiku_iac.config import build_desired_state, read_config
from dataiku_iac.models.state import State
from dataiku_iac.plan import make_plan
from dataiku_iac.plan.plan_file import PlanFileError, config_digest, encode_plan, read_plan_file
from dataiku_iac.report.plan_html import render_plan_html
from dataiku_iac.report.plan_text import render_plan_text
from tests.config.conftest import WriteConfig

EVIL = "<img src=x onerror=alert(1)>\\e[2J"  # YAML's escape for ESC: DSS names may hold one
FLOW = f"""\
project: {{name: Sales}}
datasets:
  "{EVIL}": {{type: Filesystem, params: {{connection: fs}}}}
managed_folders:
  inbox: {{type: Filesystem}}
"""


@pytest.fixture
def document(write_config: WriteConfig) -> dict:
    root = write_config({"projects/SALES/a.yml": FLOW})
    desired = build_desired_state(read_config(root), "dev", environ={})
    return make_plan(desired, State(environment="dev"), dss_url="http://dss", config_digest=config_digest(desired),
                     created_at="2026-12-01T00:00:00Z").to_dict()


def test_a_plan_file_reads_back_equal(document: dict, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(encode_plan(document))
    assert read_plan_file(path) == json.loads(json.dumps(document))
    assert document["format_version"] == 1 and document["config_digest"].startswith("sha256:")


def test_the_config_digest_follows_the_managed_values_only(write_config: WriteConfig) -> None:
    first = build_desired_state(read_config(write_config({"projects/SALES/a.yml": FLOW})), "dev", environ={})
    split = write_config({"projects/SALES/a.yml": "project: {name: Sales}\n",
                          "projects/SALES/b.yml": FLOW.replace("project: {name: Sales}\n", "")})
    assert config_digest(build_desired_state(read_config(split), "dev", environ={})) == config_digest(first)
    other = write_config({"projects/SALES/a.yml": FLOW.replace("Sales", "Sales 2"), "projects/SALES/b.yml": "{}"})
    assert config_digest(build_desired_state(read_config(other), "dev", environ={})) != config_digest(first)


@pytest.mark.parametrize("content, message", [
    (b"not json", "invalid JSON"),
    (b'{"kind": "dataiku-iac plan", "format_version": 9}', "format version 9"),
    (b'{"kind": "something else"}', "not a dataiku-iac plan"),
    (b'{"kind": "dataiku-iac plan", "format_version": 1, "environment": "dev", "operations": [{"action": "x"}],'
     b' "state": {}, "config_digest": ""}', "operation 0 is malformed"),
])
def test_a_bad_plan_file_is_refused_with_what_to_do(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(content)
    with pytest.raises(PlanFileError, match=message):
        read_plan_file(path)


def test_a_plan_file_is_not_read_through_a_symbolic_link(document: dict, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(encode_plan(document))
    link = tmp_path / "link.json"
    os.symlink(real, link)
    with pytest.raises(PlanFileError, match="symbolic links are not followed"):
        read_plan_file(link)
    with pytest.raises(PlanFileError, match="No plan file"):
        read_plan_file(tmp_path / "missing.json")


def test_text_shows_names_as_text_and_ids_as_known_after_apply(document: dict) -> None:
    text = render_plan_text(document)
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert "  + managed_folder.SALES[inbox]  (id (known after apply))" in text
    assert text.splitlines()[-1] == "Plan: 3 to add, 0 to change, 0 to replace, 0 to destroy."
    assert render_plan_text(document, color=True).count("\x1b[32m") == 3  # green creates, only with colour


def test_html_escapes_every_string(document: dict) -> None:
    page = render_plan_html(document)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Content-Security-Policy" in page and "<script" not in page


def test_references_to_objects_not_created_yet_read_known_after_apply(write_config: WriteConfig) -> None:
    root = write_config({"projects/SALES/a.yml": """\
datasets:
  src: {type: Filesystem}
managed_folders:
  inbox: {type: Filesystem}
recipes:
  r: {type: python, inputs: [src, {folder: inbox}], outputs: [], payload: "print(1)\\n"}
"""})
    desired = build_desired_state(read_config(root), "dev", environ={})
    from dataiku_iac.models.state import Resource

    live = State(resources={"recipe.SALES.r": Resource("recipe", "recipe.SALES.r", {
        "name": "r", "type": "python", "payload": "print(1)\n", "outputs": {},
        "inputs": {"main": {"items": [{"ref": "src", "deps": []}]}}})})
    text = render_plan_text(make_plan(desired, live).to_dict())
    assert "+ inputs.main.items[ref=inbox (known after apply)]:" in text and "new:" not in text
