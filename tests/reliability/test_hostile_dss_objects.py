"""Hostile DSS objects: crafted names, huge and deep attributes, through sync, state, drift, reports and webapp.

An emulated project holds objects whose names carry HTML (``<img src=x onerror=alert(1)>``), dots, spaces,
URL syntax (``?``, ``#``, ``%2e``), terminal escapes and other control characters, RTL overrides, emoji, a
line break, a 500-character name; a dataset with a 1 MB description of HTML and escape sequences, parameters
nested 300 levels deep, integers beyond 64 bits, floats at the edge of the double range, ``$``-prefixed,
dotted and empty keys. Sync -> save -> load -> drift -> text/JSON/HTML reports -> CLI -> webapp routes:

- only success or a :class:`DataikuIaCError` comes out;
- every object is recorded (none silently dropped), under its own name, and the state round-trips exactly;
- the HTML report holds no raw markup from DSS, the text outputs no control character from DSS;
- resource ids with dots and spaces parse back to their type, project and name.

A hypothesis test then syncs random ``params`` trees: each gives a state that round-trips, or a library error.
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli.main import main
from dataiku_iac.dss.client import make_client
from dataiku_iac.exceptions import DataikuIaCError, SyncError
from dataiku_iac.manager import StateManager
from dataiku_iac.models.state import State, parse_resource_id
from dataiku_iac.redaction import REDACTION_PREFIX
from dataiku_iac.report.html import render_html
from dataiku_iac.report.text import render_text
from dataiku_iac.state_format import decode_state, encode_state
from dataiku_iac.webapp import local_context
from dataiku_iac.webapp.standalone import create_app
from dss_emulator import DSSEmulator
from dss_emulator.seed_types import ProjectSeed
from tests.dss_support import point_environment_at

KEY = "HOSTILE"
XSS = "<img src=x onerror=alert(1)>"
NAMES: Dict[str, str] = {
    "html": XSS,
    "dots": "v1.2.orders.csv",
    "spaces": "orders  with   spaces ",
    "query": "what?x=1#frag",
    "percent": "%2e%2e%2fescape",
    "backslash": "..\\..\\windows",
    "escapes": "red\x1b[31m alert\x07 home\x1b[H cr\r del\x7f csi\x9b",
    "newline": "two\nDrift: 0 added, 0 modified, 0 removed.",
    "rtl": "invoice\u202egpj.exe",
    "emoji": "📦 orders 🚀",
    "unicode": "Ünïcödé 名前 zero\u200bwidth",
    "quotes": "it's \"quoted\" `tick`",
    "dollar": "$where",
    "long": "L" * 500,
}
DEEP_LEVELS = 300
BIG_INT = 2 ** 70
DESCRIPTION_1MB = ((XSS + "<script>alert(2)</script>\x1b[2J\x1b]0;pwned\x07 ") * 20000)[:1_000_000]
# Control characters other than tab and newline, which text output must never carry from DSS.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def deep(levels: int, leaf: str = "bottom") -> Any:
    node: Any = leaf
    for _ in range(levels):
        node = {"d": node}
    return node


def depth(node: Any) -> int:
    levels = 0
    while isinstance(node, dict) and "d" in node:
        node, levels = node["d"], levels + 1
    return levels


def big_params() -> Dict[str, Any]:
    return {"deep": deep(DEEP_LEVELS), "huge": BIG_INT, "negative": -(2 ** 80), "max": 1e308, "min": -1e308,
            "tiny": 5e-324, "$where": "this.a == 1", "$ref": "#/x", "a.b": "dotted key", "": "empty key",
            "names": list(NAMES.values())}


def hostile_project() -> ProjectSeed:
    datasets = {name: {"type": "Filesystem", "managed": False, "params": {"path": f"/in/{label}"},
                       "description": name, "tags": [name]} for label, name in NAMES.items()}
    datasets["big"] = {"type": "Filesystem", "managed": False, "params": big_params(),
                       "description": DESCRIPTION_1MB}
    recipes = {name: ({"type": "python", "inputs": {}, "outputs": {}, "description": name},
                      f"# {name}\nprint('\x1b[31m</script>{XSS}')\n") for name in NAMES.values()}
    return ProjectSeed(
        key=KEY,
        params={"name": XSS, "owner": "admin", "description": DESCRIPTION_1MB[:5000], "tags": [XSS]},
        variables={"html": XSS, "escapes": NAMES["escapes"]},
        datasets=datasets,
        recipes=recipes,
        scenarios={f"S_{index}": ({"type": "step_based", "name": name, "active": True, "params": {"steps": []},
                                   "triggers": [{"id": f"t{index}", "type": "temporal", "name": name}],
                                   "reporters": []}, None)
                   for index, name in enumerate(NAMES.values())},
        managed_folders={f"F{index:07d}": {"name": name, "type": "Filesystem", "params": {"path": name}}
                         for index, name in enumerate(NAMES.values())},
        saved_models={"M0000001": {"name": XSS, "savedModelType": "DSS_MANAGED", "miniTask": {"note": XSS}}},
    )


EXPECTED_IDS = sorted(
    [f"project.{KEY}", f"dataset.{KEY}.big", f"saved_model.{KEY}.M0000001"]
    + [f"dataset.{KEY}.{name}" for name in NAMES.values()]
    + [f"recipe.{KEY}.{name}" for name in NAMES.values()]
    + [f"scenario.{KEY}.S_{index}" for index in range(len(NAMES))]
    + [f"managed_folder.{KEY}.F{index:07d}" for index in range(len(NAMES))]
)


@pytest.fixture
def dss(bare_emulator: DSSEmulator) -> DSSEmulator:
    """An emulator holding the hostile project only."""
    bare_emulator.load_project(hostile_project())
    return bare_emulator


def manager_for(dss: DSSEmulator, state_file: Path) -> StateManager:
    return StateManager(LocalFileBackend(state_file), make_client(dss.url, dss.api_key, timeout=20.0), "dev",
                        workers=4)


def no_control_characters(text: str, what: str) -> None:
    found = sorted({repr(char) for char in _CONTROL.findall(text)})
    assert not found, f"{what} carries control characters from DSS: {found}"


def no_raw_markup(page: str, what: str) -> None:
    lowered = page.lower()
    for needle in ("<img", "<script", "onerror=alert(1)>", "</script>{"):
        assert needle not in lowered, f"{what} holds raw {needle!r}"


# -- the whole path -----------------------------------------------------------------------------------------


def test_hostile_objects_sync_round_trip_report_and_serve(dss, tmp_path, capsys, monkeypatch):
    state_dir = tmp_path / "state"
    manager = manager_for(dss, state_dir / "dev.state.json")

    # Sync and save: every object recorded, under its own name.
    result = manager.refresh([KEY])
    state = result.state
    assert sorted(state.resources) == EXPECTED_IDS, "objects were dropped, renamed or invented"
    for resource_id, resource in state.resources.items():
        address = parse_resource_id(resource_id)
        assert (address.resource_type, address.project_key) == (resource.resource_type, KEY)
    names = {parse_resource_id(rid).name for rid in state.resources if rid.startswith("dataset.")}
    assert names == set(NAMES.values()) | {"big"}

    # Load: exactly what was saved, values intact (no float or integer rounding, depth kept, keys kept).
    loaded = LocalFileBackend(state_dir / "dev.state.json").load()
    assert loaded.to_dict() == state.to_dict()
    assert decode_state(encode_state(loaded), "again").to_dict() == state.to_dict()
    big = loaded.resources[f"dataset.{KEY}.big"].attributes
    assert big["description"] == DESCRIPTION_1MB
    assert depth(big["params"]["deep"]) == DEEP_LEVELS
    assert big["params"]["huge"] == BIG_INT and big["params"]["max"] == 1e308 and big["params"]["tiny"] == 5e-324
    assert {"$where", "$ref", "a.b", ""} <= set(big["params"])

    # No false drift on hostile objects.
    assert not manager.detect_drift().has_drift

    # Drift: hostile descriptions changed (by a hostile login), an object removed, a hostile one added.
    backend = dss.backend
    changed = [XSS, NAMES["newline"], NAMES["escapes"], NAMES["rtl"]]
    for name in changed:
        definition = copy.deepcopy(backend.get_dataset(KEY, name))
        definition["description"] = "<svg onload=alert(3)>\x1b[2J changed\nDrift: 0 added, 0 modified, 0 removed."
        backend.save_dataset(KEY, name, definition, "mallory\x1b[31m<b>\nNo drift")
    backend.delete_dataset(KEY, NAMES["dots"])
    project = backend.project(KEY)
    from dss_emulator.models.datasets import Dataset

    added = "new <img src=y onerror=alert(4)>\x1b]8;;evil.example\x07"
    project.datasets.add(Dataset(KEY, added, dict(definition, name=added, description=XSS)))
    drift = manager.detect_drift()
    report = drift.to_report()
    assert drift.summary["added"] == 1 and drift.summary["removed"] == 1 and drift.summary["modified"] == 4
    report = json.loads(json.dumps(report))  # the JSON report round-trips names exactly
    assert {change["address"] for change in report["resource_changes"]} == {
        f"dataset.{KEY}.{name}" for name in [*changed, NAMES["dots"], added]}

    # Text and HTML reports: escaped.
    for color in (False, True):
        text = render_text(report, color=color)
        if color:
            text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # the renderer's own colours
        no_control_characters(text, f"text report (color={color})")
        lines = text.splitlines()
        assert lines[-1] == "Drift: 1 added, 4 modified, 1 removed."  # names cannot forge report lines
        assert not [line for line in lines[:-1] if line.startswith(("Drift:", "No drift"))]
        assert len([line for line in lines if line.startswith(("  ~ ", "  + ", "  - "))]) == 6
    page = render_html(report, title=XSS)
    no_raw_markup(page, "HTML report")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page

    # The CLI over the hostile state: show, show --resource, diff, drift in every format.
    monkeypatch.chdir(tmp_path)
    point_environment_at(dss, monkeypatch)
    state_file = str(state_dir / "dev.state.json")
    outputs: List[str] = []
    for argv in (["show", state_file], ["show", state_file, "--format", "json"],
                 ["show", state_file, "--resource", f"dataset.{KEY}.{NAMES['escapes']}"],
                 ["drift", "--state", state_file], ["drift", "--state", state_file, "--format", "json"],
                 ["drift", "--state", state_file, "--format", "html"]):
        code = main(argv)
        captured = capsys.readouterr()
        assert code in (0, 2), f"{argv}: exit {code}: {captured.err}"
        no_control_characters(captured.out + captured.err, f"dataiku-iac {argv} output")
        outputs.append(captured.out)
    no_raw_markup(outputs[-1], "dataiku-iac drift --format html")

    # An error message quoting hostile names (objects that could not be read) reaches the terminal escaped.
    dss.inject_fault("GET", r"/recipes/(red|two)", status=500, count=100)
    try:
        code = main(["sync", KEY, "--state", str(tmp_path / "other.state.json")])
    finally:
        dss.clear_faults()
    captured = capsys.readouterr()
    assert code == 1 and "Sync failed for 2 resource(s)" in captured.err, captured.err
    no_control_characters(captured.err.replace("\n", " "), "the error message of a failed sync")
    assert len(captured.err.splitlines()) == 3  # the message, then one line per object: names break no line

    # The webapp routes, as `dataiku-iac serve` registers them: every hostile address answers.
    LocalFileBackend(state_file).save_report(report)
    assert manager.refresh().state.serial == 2  # accept the drift: serials 1 and 2 to compare
    client = create_app(local_context(state_dir)).test_client()
    page_response = client.get("/")
    assert page_response.status_code == 200 and XSS not in page_response.get_data(as_text=True)
    answered = 0
    requests = [("/api/state", {}), ("/api/history", {}), ("/api/reports", {}), ("/api/report", {})]
    requests += [("/api/resource", {"address": rid, "serial": "1"}) for rid in EXPECTED_IDS]
    requests += [("/api/report/change", {"address": change["address"]}) for change in report["resource_changes"]]
    requests += [("/api/resource", {"address": change["address"], "serial": "2"})
                 for change in report["resource_changes"] if change["change"] != "removed"]
    compared = client.get("/api/compare", query_string={"from": "1", "to": "2"}).get_json()
    assert len(compared["rows"]) == 6
    requests += [("/api/compare/change", {"from": "1", "to": "2", "address": row["address"]})
                 for row in compared["rows"]]
    for path, query in requests:
        response = client.get(path, query_string=query)
        assert response.status_code == 200, (path, query, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/json"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
        answered += 1
    served = client.get("/api/resource", query_string={"address": f"dataset.{KEY}.big"}).get_json()
    assert served["attributes"]["description"] == DESCRIPTION_1MB
    print(f"\n{len(EXPECTED_IDS)} hostile objects ({len(NAMES)} crafted names x 4 types, a 1 MB description, "
          f"{DEEP_LEVELS}-level params): synced, round-tripped, no false drift; 6 hostile changes reported; "
          f"text, HTML and 6 CLI outputs escaped; {answered} webapp requests answered")


# -- names DSS itself would refuse -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../etc/passwd", "../../../projects/OTHER/datasets/secret", "a/b"])
def test_a_slash_in_a_name_never_reads_another_object(dss, tmp_path, name):
    """A name that is a path must not make the sync read another URL: it is recorded, or the sync fails."""
    key = "TRAVERSAL"
    dss.load_project(ProjectSeed(key=key, params={"name": "traversal", "owner": "admin"},
                                 datasets={"plain": {"type": "Filesystem", "params": {"path": "/p"}},
                                           name: {"type": "Filesystem", "params": {"path": "/q"}}},
                                 recipes={name: ({"type": "python"}, "print(1)\n")}))
    other = ProjectSeed(key="OTHER", params={"name": "other", "owner": "admin"},
                        datasets={"secret": {"type": "Filesystem", "params": {"path": "/other/secret"}}})
    dss.load_project(other)
    manager = manager_for(dss, tmp_path / "dev.state.json")
    try:
        state = manager.sync_project(key)
    except SyncError as error:
        assert all(rid.endswith(name) for rid in error.failures), error.failures
        assert "Unexpected error" not in str(error)
        return
    assert sorted(state.resources) == sorted([f"project.{key}", f"dataset.{key}.plain", f"dataset.{key}.{name}",
                                              f"recipe.{key}.{name}"])
    assert state.resources[f"dataset.{key}.{name}"].attributes["params"] == {"path": "/q"}


@pytest.mark.parametrize("levels", [600, 900, 3000])
def test_nesting_deeper_than_python_recursion_is_reported_or_refused(levels):
    """DSS accepts about 1000 levels of nesting (the emulator serves about 300): past what Python's recursion
    allows, a sync refuses the object with a library error, and a drift of deep values is still reported."""
    from dataiku_iac.diff import DiffEngine
    from dataiku_iac.report.json_report import diffs_to_json
    from dataiku_iac.sync.dataset import DatasetSync

    def resource(leaf: str) -> Any:
        return DatasetSync(None).to_resource(KEY, {"name": "deep", "type": "Filesystem",
                                                   "params": {"deep": deep(levels, leaf)}})

    try:
        old, new = resource("old"), resource("new")
    except DataikuIaCError as error:
        assert levels > 1000 and "nested too deeply" in str(error)
        return
    states = [State(environment="dev", resources={item.resource_id: item}) for item in (old, new)]
    for state in states:
        assert decode_state(encode_state(state), "deep").to_dict() == state.to_dict()
    diffs = DiffEngine().diff(*states)
    assert [change.path[0] for change in diffs[0].changes] == ["params"]
    report = diffs_to_json(diffs)
    assert render_text(report).endswith("Changes: 0 added, 1 modified, 0 removed.")
    no_raw_markup(render_html(report), "HTML report of a deep change")


# -- random params trees ----------------------------------------------------------------------------------

_keys = st.one_of(st.text(max_size=12), st.sampled_from(["$where", "a.b", "", "password", XSS, "\x1b[2J"]))
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 100), max_value=2 ** 100),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from([XSS, "\x1b[31m", "\u202e", "ünï", "${var}", "https://u:p@h/x?token=t"]),
)
params_trees = st.recursive(
    _leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=25,
)
FUZZ: Dict[str, int] = {"synced": 0, "library errors": 0}
FUZZ_ERRORS: Dict[str, int] = {}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(params=st.dictionaries(_keys, params_trees, max_size=6))
def test_random_params_trees_sync_and_round_trip(dss, tmp_path, params):
    key = "FUZZ"
    if key not in dss.backend.projects:
        dss.load_project(ProjectSeed(key=key, params={"name": "fuzz", "owner": "admin"},
                                     datasets={"target": {"type": "Filesystem", "params": {}}}))
    dss.backend.save_dataset(key, "target", {"type": "Filesystem", "params": params}, "fuzzer")
    manager = manager_for(dss, tmp_path / "fuzz.state.json")
    try:
        state = manager.sync_project(key)
        data = encode_state(state)
    except DataikuIaCError as error:
        FUZZ["library errors"] += 1
        assert "Traceback" not in str(error) and "Unexpected error" not in str(error)
        problem = str(error).rsplit(": ", 1)[-1]
        FUZZ_ERRORS[problem] = FUZZ_ERRORS.get(problem, 0) + 1
        return
    FUZZ["synced"] += 1
    again = decode_state(data, "fuzz")
    assert again.to_dict() == State.from_dict(json.loads(data)).to_dict()
    stored = again.resources[f"dataset.{key}.target"].attributes.get("params", {})
    assert _same(stored, params) or _has_redactions(stored)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _has_redactions(node: Any) -> bool:
    return REDACTION_PREFIX in json.dumps(node, default=str)


def test_zz_random_params_figures():
    total = sum(FUZZ.values())
    if not total:
        pytest.skip("the hypothesis test did not run")
    print(f"\n{total} random params trees synced: {FUZZ['synced']} round-tripped, "
          f"{FUZZ['library errors']} library errors {sorted(FUZZ_ERRORS.items())}, 0 other exceptions")
