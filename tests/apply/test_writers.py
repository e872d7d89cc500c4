"""The DSS write layer: create, update, delete per type against the emulator, through the real dataikuapi client.

Read-back failures are forced with a tiny adapter on the emulator's side (its save drops a key, as DSS does for
keys it does not know); a create whose answer is lost is forced the same way (the object is stored, then the
connection dropped) and with the emulator's fault injection (the connection dropped before anything happens).
"""

from __future__ import annotations

import secrets
from typing import Any, Dict, List, Tuple

import pytest

from dataiku_iac.apply.writers import (
    ObjectWriter,
    create_checked,
    values_to_write,
    writer_for,
)
from dataiku_iac.config import build_desired_state, read_config
from dataiku_iac.config.desired import restrict
from dataiku_iac.exceptions import ApplyError, DSSUnreachableError, ReplaceRequiredError, WriteNotAppliedError
from dataiku_iac.models.state import make_resource_id
from dataiku_iac.sync import SyncEngine
from dss_emulator import DSSEmulator
from tests.dss_support import REPO_ROOT

Path_ = Tuple[str, ...]
POST_FOLDER = "POST /projects/<project_key>/managedfolders/"
SCHEMA = {"userModified": True, "columns": [{"name": "id", "type": "bigint"}, {"name": "label", "type": "string"}]}


def leaves(attributes: Dict[str, Any]) -> List[Path_]:
    from dataiku_iac.config.desired import leaf_paths

    return sorted(leaf_paths(attributes))


def posts(emulator: DSSEmulator) -> int:
    return sum(n for route, n in emulator.request_counts().items() if route.startswith("POST "))


def puts(emulator: DSSEmulator) -> int:
    return sum(n for route, n in emulator.request_counts().items() if route.startswith("PUT "))


def requests_made(emulator: DSSEmulator) -> int:
    return sum(emulator.request_counts().values())


# -- pure -----------------------------------------------------------------------------------------------------

def test_values_to_write_puts_secret_values_in_and_refuses_markers_left() -> None:
    marker = "<redacted:hmac:0123abcd:0123456789ab>"
    attributes = {"params": {"connection": "c", "password": marker},
                  "steps": [{"x": 1, "token": marker}]}
    paths = {("params", "connection"), ("params", "password"), ("steps",)}
    secret_values = {("params", "password"): "hunter2", ("steps", "0", "token"): "t0k"}
    values = values_to_write(attributes, paths, secret_values)
    assert values == {("params", "connection"): "c", ("params", "password"): "hunter2",
                      ("steps",): [{"x": 1, "token": "t0k"}]}
    assert attributes["params"]["password"] == marker  # the desired attributes are left as they were
    with pytest.raises(ApplyError, match=r"params\.password holds a redaction marker"):
        values_to_write(attributes, paths, {("steps", "0", "token"): "t0k"}, "dataset.P.d")


def test_create_checked_raises_a_library_error_when_the_create_never_happened() -> None:
    import requests

    calls: List[str] = []

    def create() -> str:
        calls.append("create")
        raise requests.ConnectionError("reset")

    def find() -> None:
        calls.append("find")
        return None

    with pytest.raises(DSSUnreachableError):
        create_checked(create, find, "creating dataset P.d")
    assert calls == ["create", "find", "create", "find"]


def test_create_checked_takes_a_retry_refused_as_a_duplicate_for_the_first_create() -> None:
    import requests
    from dataikuapi.utils import DataikuException

    answers = iter([requests.ConnectionError("reset"), DataikuException("AlreadyExists: dataset P.d exists")])
    found = iter([None, "d"])  # not visible at the first look, there at the second

    def create() -> str:
        raise next(answers)

    assert create_checked(create, lambda: next(found), "creating dataset P.d") == "d"


def test_create_checked_does_not_resend_a_timed_out_create_of_a_name_dss_does_not_keep_unique() -> None:
    import requests

    sent: List[str] = []

    def create() -> str:
        sent.append("create")
        raise requests.ReadTimeout("no answer")

    with pytest.raises(ApplyError, match="may still be created: run plan again"):
        create_checked(create, lambda: None, "creating scenario P.s", unique_names=False)
    assert sent == ["create"]


# -- datasets -------------------------------------------------------------------------------------------------

def dataset_attributes(name: str) -> Dict[str, Any]:
    return {"name": name, "type": "Filesystem", "managed": True, "tags": ["b", "a"],
            "description": "made by apply", "params": {"connection": "filesystem_managed", "path": f"x/{name}"},
            "formatType": "csv", "formatParams": {"separator": ";"}, "schema": SCHEMA,
            "flowOptions": {"rebuildBehavior": "EXPLICIT"}}


def test_dataset_create_update_delete(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    writer = writer_for(client, "dataset")
    attributes = dataset_attributes("orders")
    emulator.clear_request_counts()
    assert writer.create(project_key, attributes, leaves(attributes)) == "orders"
    assert requests_made(emulator) <= 4  # create, read, save what the create call cannot carry, read back
    raw = writer.read(project_key, "orders")
    assert raw["schema"] == SCHEMA and raw["managed"] is True and sorted(raw["tags"]) == ["a", "b"]
    assert raw["params"]["path"] == "x/orders" and raw["formatParams"]["separator"] == ";"
    assert raw["partitioning"]  # DSS's defaults are kept

    # A user changes an unmanaged field; the update changes only the managed one.
    settings = client.get_project(project_key).get_dataset("orders").get_settings()
    settings.get_raw()["shortDesc"] = "a user's note"
    settings.save()
    emulator.clear_request_counts()
    assert writer.update(project_key, "orders", {"params": {"path": "y/orders"}}, [("params", "path")]) is True
    raw = writer.read(project_key, "orders")
    assert raw["params"]["path"] == "y/orders" and raw["shortDesc"] == "a user's note"
    assert raw["params"]["connection"] == "filesystem_managed" and raw["description"] == "made by apply"
    # Nothing to change: read once, no save (no versionTag bump).
    emulator.clear_request_counts()
    tag = raw["versionTag"]["versionNumber"]
    assert writer.update(project_key, "orders", {"params": {"path": "y/orders"}}, [("params", "path")]) is False
    assert puts(emulator) == 0 and writer.read(project_key, "orders")["versionTag"]["versionNumber"] == tag

    assert writer.delete(project_key, "orders") is True
    assert "orders" not in [d["name"] for d in client.get_project(project_key).list_datasets()]
    assert writer.delete(project_key, "orders") is False  # already gone: not an error


def test_a_source_dataset_with_a_schema_takes_three_requests(client: Any, emulator: DSSEmulator,
                                                              project_key: str) -> None:
    writer = writer_for(client, "dataset")
    attributes = {"name": "src", "type": "Filesystem", "params": {"connection": "filesystem_root", "path": "/in"},
                  "formatType": "csv", "schema": {"columns": SCHEMA["columns"]}}
    emulator.clear_request_counts()
    writer.create(project_key, attributes, leaves(attributes))
    assert sorted(emulator.request_counts()) == ["GET /projects/<project_key>/datasets/<name>",
                                                 "POST /projects/<project_key>/datasets/",
                                                 "PUT /projects/<project_key>/datasets/<name>/schema"]
    assert requests_made(emulator) == 3
    assert writer.read(project_key, "src")["schema"] == {"columns": SCHEMA["columns"], "userModified": False}


def test_dataset_delete_keeps_data_unless_asked(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    writer = writer_for(client, "dataset")
    for name in ("kept", "dropped"):
        writer.create(project_key, {"name": name, "type": "Filesystem"}, [("name",), ("type",)])
    urls: List[str] = []
    client._session.hooks["response"].append(lambda response, *args, **kwargs: urls.append(response.request.url))
    writer.delete(project_key, "kept")
    writer.delete(project_key, "dropped", drop_data=True)
    assert [url.rsplit("/", 1)[-1] for url in urls] == ["kept?dropData=False", "dropped?dropData=True"]


def test_secret_values_are_sent_and_markers_never(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    writer = writer_for(client, "dataset")
    marker = "<redacted:hmac:0123abcd:0123456789ab>"
    attributes = {"name": "s3", "type": "Filesystem", "params": {"connection": "filesystem_root", "secretKey": marker}}
    paths = [("name",), ("type",), ("params", "connection"), ("params", "secretKey")]
    writer.create(project_key, attributes, paths, {("params", "secretKey"): "hunter2"})
    assert writer.read(project_key, "s3")["params"]["secretKey"] == "hunter2"
    assert writer.update(project_key, "s3", attributes, paths[2:], {("params", "secretKey"): "hunter2"}) is False
    assert writer.update(project_key, "s3", attributes, paths[2:], {("params", "secretKey"): "rotated"}) is True
    assert writer.read(project_key, "s3")["params"]["secretKey"] == "rotated"


def test_changing_an_immutable_field_is_refused_before_any_write(client: Any, emulator: DSSEmulator,
                                                                 project_key: str) -> None:
    writer = writer_for(client, "dataset")
    writer.create(project_key, {"name": "d", "type": "Filesystem"}, [("name",), ("type",)])
    emulator.clear_request_counts()
    with pytest.raises(ReplaceRequiredError, match="type cannot be changed in place"):
        writer.update(project_key, "d", {"type": "Snowflake"}, [("type",)])
    assert puts(emulator) == 0


def test_a_path_dss_drops_on_save_is_an_error_naming_it(client: Any, emulator: DSSEmulator, project_key: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    writer = writer_for(client, "dataset")
    writer.create(project_key, {"name": "d", "type": "Filesystem"}, [("name",), ("type",)])
    original = emulator.backend.save_dataset

    def dropping_save(key: str, name: str, body: Dict[str, Any], login: str) -> None:
        body = dict(body)
        body.pop("featureGroup", None)  # as DSS does with a key this version does not know
        original(key, name, body, login)

    monkeypatch.setattr(emulator.backend, "save_dataset", dropping_save)
    with pytest.raises(WriteNotAppliedError, match="featureGroup") as caught:
        writer.update(project_key, "d", {"featureGroup": True, "shortDesc": "kept"},
                      [("featureGroup",), ("shortDesc",)])
    assert caught.value.paths == ["featureGroup"] and caught.value.resource_id == f"dataset.{project_key}.d"


# -- recipes --------------------------------------------------------------------------------------------------

def test_recipe_is_created_as_declared_even_with_a_dangling_input(client: Any, emulator: DSSEmulator,
                                                                  project_key: str) -> None:
    writer = writer_for(client, "recipe")
    code = "import dataiku\nprint('hello')\n"
    attributes = {"name": "compute_out", "type": "python",
                  "inputs": {"main": {"items": [{"ref": "nobody_holds_this", "deps": []}]}},
                  "outputs": {"main": {"items": [{"ref": "out", "appendMode": True}]}},
                  "payload": code, "tags": ["t"]}
    emulator.clear_request_counts()
    assert writer.create(project_key, attributes, leaves(attributes)) == "compute_out"
    assert posts(emulator) == 1
    raw = writer.read(project_key, "compute_out")
    assert raw["payload"] == code and raw["inputs"] == attributes["inputs"] and raw["outputs"] == attributes["outputs"]
    assert "out" not in [d["name"] for d in client.get_project(project_key).list_datasets()]  # nothing auto-made

    visual = {"name": "group_x", "type": "grouping", "inputs": {"main": {"items": [{"ref": "a"}]}},
              "outputs": {"main": {"items": [{"ref": "b"}]}}, "payload": {"keys": [{"column": "k"}], "values": []}}
    writer.create(project_key, visual, leaves(visual))
    assert writer.read(project_key, "group_x")["payload"]["keys"] == [{"column": "k"}]

    assert writer.update(project_key, "compute_out", {"payload": "print(2)\n"}, [("payload",)]) is True
    raw = writer.read(project_key, "compute_out")
    assert raw["payload"] == "print(2)\n" and raw["tags"] == ["t"] and raw["inputs"] == attributes["inputs"]
    with pytest.raises(ReplaceRequiredError):
        writer.update(project_key, "compute_out", {"type": "r"}, [("type",)])
    assert writer.delete(project_key, "compute_out") is True


# -- scenarios ------------------------------------------------------------------------------------------------

def test_scenarios_step_based_and_python(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    writer = writer_for(client, "scenario")
    trigger = {"id": "t1", "type": "temporal", "name": "nightly", "active": True, "params": {"hour": 2}}
    attributes = {"name": "Nightly build", "type": "step_based", "active": True, "triggers": [trigger],
                  "params": {"steps": [{"id": "s1", "type": "build_flowitem", "params": {"builds": []}}]}}
    emulator.clear_request_counts()
    scenario_id = writer.create(project_key, attributes, leaves(attributes))
    assert requests_made(emulator) == 2  # the create carries the whole definition; one read back
    raw = writer.read(project_key, scenario_id)
    assert raw["name"] == "Nightly build" and raw["triggers"] == [trigger] and raw["active"] is True

    assert writer.update(project_key, scenario_id, {"name": "Renamed", "active": False},
                         [("name",), ("active",)]) is True
    raw = writer.read(project_key, scenario_id)
    assert (raw["name"], raw["active"], raw["triggers"]) == ("Renamed", False, [trigger])

    script = "from dataiku.scenario import Scenario\nScenario().build_dataset('x')\n"
    python = {"name": "Python one", "type": "custom_python", "script": script}
    python_id = writer.create(project_key, python, leaves(python))
    assert writer.read(project_key, python_id)["script"] == script
    with pytest.raises(ApplyError, match="only custom python scenarios have a script"):
        writer.update(project_key, scenario_id, {"script": "x"}, [("script",)])
    assert writer.delete(project_key, python_id) is True


# -- managed folders ------------------------------------------------------------------------------------------

def folder_attributes(name: str) -> Dict[str, Any]:
    return {"name": name, "type": "Filesystem", "tags": ["reports"],
            "params": {"connection": "filesystem_folders", "path": "${projectKey}/${odbId}"}}


def test_folder_gets_a_server_id_and_is_updated_by_it(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    writer = writer_for(client, "managed_folder")
    attributes = folder_attributes("reports")
    folder_id = writer.create(project_key, attributes, leaves(attributes))
    assert folder_id != "reports" and len(folder_id) == 8
    raw = writer.read(project_key, folder_id)
    assert raw["params"]["path"] == "${projectKey}/${odbId}" and raw["tags"] == ["reports"]
    writer.update(project_key, folder_id, {"name": "reports_v2"}, [("name",)])
    assert writer.read(project_key, folder_id)["name"] == "reports_v2"
    assert writer.delete(project_key, folder_id) is True


def test_a_create_whose_answer_is_lost_is_not_sent_again(client: Any, emulator: DSSEmulator, project_key: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from dss_emulator import app as emulator_app

    original = emulator.backend.create_folder

    def create_then_drop(key: str, body: Dict[str, Any], login: str) -> Dict[str, Any]:
        created = original(key, body, login)
        emulator_app.drop_connection()  # stored, but the client never hears of it
        return created

    monkeypatch.setattr(emulator.backend, "create_folder", create_then_drop)
    writer = writer_for(client, "managed_folder")
    emulator.clear_request_counts()
    folder_id = writer.create(project_key, folder_attributes("once"), [("name",), ("type",)])
    assert emulator.request_counts()[POST_FOLDER] == 1
    folders = [f for f in client.get_project(project_key).list_managed_folders() if f["name"] == "once"]
    assert [f["id"] for f in folders] == [folder_id]


def test_a_create_dropped_before_dss_saw_it_is_sent_once_more(client: Any, emulator: DSSEmulator,
                                                              project_key: str) -> None:
    writer = writer_for(client, "managed_folder")
    emulator.inject_fault("POST", r"/managedfolders/$", drop_connection=True, count=1)
    emulator.clear_request_counts()
    folder_id = writer.create(project_key, folder_attributes("twice"), [("name",), ("type",)])
    assert emulator.request_counts()[POST_FOLDER] == 2
    folders = [f for f in client.get_project(project_key).list_managed_folders() if f["name"] == "twice"]
    assert [f["id"] for f in folders] == [folder_id]


def test_a_dataset_create_whose_answer_is_lost_is_found_by_name(client: Any, emulator: DSSEmulator,
                                                                project_key: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from dss_emulator import app as emulator_app

    original = emulator.backend.create_dataset

    def create_then_drop(key: str, body: Dict[str, Any], login: str) -> Dict[str, Any]:
        created = original(key, body, login)
        emulator_app.drop_connection()
        return created

    monkeypatch.setattr(emulator.backend, "create_dataset", create_then_drop)
    emulator.clear_request_counts()
    attributes = dataset_attributes("lost")
    assert writer_for(client, "dataset").create(project_key, attributes, leaves(attributes)) == "lost"
    assert emulator.request_counts()["POST /projects/<project_key>/datasets/"] == 1
    assert writer_for(client, "dataset").read(project_key, "lost")["schema"] == SCHEMA  # configured all the same


def test_a_timed_out_folder_create_is_never_sent_twice(emulator: DSSEmulator, project_key: str) -> None:
    from dataiku_iac.dss.client import make_client

    impatient = make_client(emulator.url, emulator.api_key, timeout=0.5, backoff=0.01)
    # DSS is slow: it stores the folder after the client stopped waiting.
    emulator.inject_fault("POST", r"/managedfolders/$", status=None, delay=2.0, count=1)
    emulator.clear_request_counts()
    try:
        writer_for(impatient, "managed_folder").create(project_key, folder_attributes("slow"), [("name",)])
    except ApplyError as exc:
        assert "run plan again" in str(exc)
    assert emulator.wait_idle(30.0)
    assert emulator.request_counts()[POST_FOLDER] == 1
    folders = [f for f in impatient.get_project(project_key).list_managed_folders() if f["name"] == "slow"]
    assert len(folders) == 1


def test_a_lost_create_with_two_candidates_is_refused(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    writer = writer_for(client, "managed_folder")
    project = client.get_project(project_key)
    project.create_managed_folder("dup")
    project.create_managed_folder("dup")
    emulator.inject_fault("POST", r"/managedfolders/$", drop_connection=True, count=1)
    with pytest.raises(ApplyError, match="2 managed folders have that name"):
        writer.create(project_key, folder_attributes("dup"), [("name",)])


# -- projects and saved models --------------------------------------------------------------------------------

def test_project_create_update_and_guarded_delete(client: Any, emulator: DSSEmulator) -> None:
    key = f"APPLY_P_{secrets.token_hex(3).upper()}"
    writer = writer_for(client, "project")
    permissions = [{"group": "readers", "readProjectContent": True, "writeProjectContent": False}]
    attributes = {"projectKey": key, "name": "Applied", "description": "d", "shortDesc": "s", "tags": ["x"],
                  "projectStatus": "In use", "permissions": permissions,
                  "settings": {"codeEnvs": {"python": {"mode": "INHERIT"}}},
                  "variables": {"standard": {"env": "prod"}, "local": {"debug": "no"}}}
    try:
        assert writer.create(key, attributes, leaves(attributes)) == key
        raw = writer.read(key)
        assert (raw["name"], raw["shortDesc"], raw["projectStatus"]) == ("Applied", "s", "In use")
        assert raw["variables"] == attributes["variables"] and raw["permissions"] == permissions
        emulator.clear_request_counts()
        assert writer.update(key, key, {"variables": {"standard": {"env": "dev"}}},
                             [("variables", "standard", "env")]) is True
        assert list(emulator.request_counts()) == [  # only the variables endpoint is written, then read back
            "GET /projects/<project_key>/variables/", "PUT /projects/<project_key>/variables/",
            "GET /projects/<project_key>/settings", "GET /projects/<project_key>/permissions"]
        assert writer.read(key)["variables"] == {"standard": {"env": "dev"}, "local": {"debug": "no"}}
        # Settings and metadata together: the settings PUT (which carries the old name) goes first.
        writer.update(key, key, {"name": "Renamed", "projectStatus": "Archived"}, [("name",), ("projectStatus",)])
        assert (writer.read(key)["name"], writer.read(key)["projectStatus"]) == ("Renamed", "Archived")
        with pytest.raises(ApplyError, match="needs its own explicit flag"):
            writer.delete(key)
        assert key in client.list_project_keys()
        assert writer.delete(key, allow_project_delete=True) is True
        assert key not in client.list_project_keys()
    finally:
        if key in client.list_project_keys():
            client.get_project(key).delete()


def test_saved_models_are_read_only(client: Any) -> None:
    writer = writer_for(client, "saved_model")
    for call in (lambda: writer.create("P", {"name": "m"}, [("name",)]),
                 lambda: writer.update("P", "m", {"name": "m"}, [("name",)]),
                 lambda: writer.delete("P", "m")):
        with pytest.raises(ApplyError, match="saved models are read-only"):
            call()
    with pytest.raises(ApplyError, match="Unknown resource type"):
        writer_for(client, "notebook")


# -- the sample config: create everything, then sync ----------------------------------------------------------

def test_creating_the_sample_config_then_syncing_gives_the_desired_state(client: Any, emulator: DSSEmulator) -> None:
    config = read_config(REPO_ROOT / "examples" / "config")
    desired = build_desired_state(config, "dev")
    project_keys = sorted(config.projects)
    for key in project_keys:  # an empty instance: the sample project is removed first
        if key in client.list_project_keys():
            client.get_project(key).delete()
    created: Dict[str, str] = {}  # desired resource id -> the id DSS gave
    requests_per_type: Dict[str, List[int]] = {}
    for rid in desired.order:
        item = desired.resources[rid]
        resource = item.resource
        writer: ObjectWriter = writer_for(client, resource.resource_type)
        emulator.clear_request_counts()
        dss_id = writer.create(resource.project_key, resource.attributes, item.managed_paths,
                               desired.secret_values(rid))
        requests_per_type.setdefault(resource.resource_type, []).append(requests_made(emulator))
        created[rid] = make_resource_id(resource.resource_type, resource.project_key, dss_id) \
            if resource.resource_type != "project" else rid
    live = {r.resource_id: r for r in SyncEngine(client).sync(project_keys).resources}
    for rid, live_id in created.items():
        item = desired.resources[rid]
        want = restrict(item.resource.attributes, item.managed_paths)
        have = restrict(live[live_id].attributes, item.managed_paths)
        assert have == want, rid
    # The create call carries a recipe's and a scenario's whole definition: create and read back. Datasets and
    # folders whose config sets what their create call cannot carry (tags, managed, a folder's path): 4.
    assert requests_per_type["recipe"] == [2] and requests_per_type["scenario"] == [2]
    assert requests_per_type["dataset"] == [4, 4] and requests_per_type["managed_folder"] == [4]


@pytest.mark.slow
def test_generated_configs_of_every_seeded_project_are_created_as_declared(emulator: DSSEmulator,
                                                                          tmp_path: Any) -> None:
    """Generate the config of live projects (the sample, a synthetic one, the real ones when present), create
    every object into an empty DSS, sync it: on the managed paths, the live state is the desired one."""
    from dataiku_iac.config.generate import environments_file, generate_config
    from dataiku_iac.dss.client import make_client
    from dataiku_iac.models.state import State
    from dss_emulator.control import SyntheticSpec

    # Not remembered: the next reset of the session emulator drops it.
    emulator.control.add_synthetic(SyntheticSpec("SYNAPPLY", 24, 16, 3, 2, 0), remember=False)
    source = make_client(emulator.url, emulator.api_key)
    live = State(environment="dev")
    for resource in SyncEngine(source).sync(source.list_project_keys()).resources:
        live.add_resource(resource)
    generated = generate_config(live)
    sql = ["pg_warehouse:PostgreSQL", "snowflake_analytics:Snowflake"]  # the synthetic project's connections
    with DSSEmulator([], samples=False, random_seed=5, connections=sql) as empty:
        for relative, text in {**generated.files,
                               "dataiku-iac.yml": environments_file({"dev": (empty.url, "K")})}.items():
            (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / relative).write_text(text, "utf-8")
        config = read_config(tmp_path)
        environ = {name: "a secret value" for name in generated.secrets}
        client = make_client(empty.url, empty.api_key, backoff=0.01)
        recorded: Dict[Tuple[str, str, str], str] = {}
        done = set()
        # Projects and folders first, so that references to folders resolve to the ids DSS gave them.
        for first_pass in (True, False):
            desired = build_desired_state(config, "dev", environ, recorded_ids=recorded)
            for rid in desired.order:
                item = desired.resources[rid]
                resource = item.resource
                key = (resource.resource_type, resource.project_key, item.config.key)
                if key in done or (first_pass and resource.resource_type not in ("project", "managed_folder")):
                    continue
                dss_id = writer_for(client, resource.resource_type).create(
                    resource.project_key, resource.attributes, item.managed_paths, desired.secret_values(rid))
                done.add(key)
                if resource.resource_type in ("managed_folder", "scenario"):
                    recorded[key] = dss_id
        desired = build_desired_state(config, "dev", environ, recorded_ids=recorded)
        synced = {r.resource_id: r for r in SyncEngine(client).sync(sorted(config.projects)).resources}
    assert len(desired.resources) > 40
    for rid, item in desired.resources.items():
        assert restrict(synced[rid].attributes, item.managed_paths) == \
            restrict(item.resource.attributes, item.managed_paths), rid


def test_a_create_dss_refuses_is_reported_at_once(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    from dataiku_iac.exceptions import DSSError

    emulator.clear_request_counts()
    with pytest.raises(DSSError, match="creating dataset bad/name"):
        writer_for(client, "dataset").create(project_key, {"name": "bad/name", "type": "Filesystem"},
                                             [("name",), ("type",)])
    assert posts(emulator) == 1


def test_update_and_delete_errors_name_the_object(client: Any, emulator: DSSEmulator, project_key: str) -> None:
    from dataiku_iac.exceptions import DSSError, ResourceNotFoundError

    writer = writer_for(client, "recipe")
    with pytest.raises(ResourceNotFoundError, match=f"updating recipe.{project_key}.ghost"):
        writer.update(project_key, "ghost", {"tags": ["x"]}, [("tags",)])
    writer.create(project_key, {"name": "r", "type": "python", "payload": ""}, [("name",), ("type",), ("payload",)])
    emulator.inject_fault("DELETE", r"/recipes/r$", status=500, count=1)
    with pytest.raises(DSSError, match=f"deleting recipe.{project_key}.r"):
        writer.delete(project_key, "r")
    assert writer.delete(project_key, "r") is True


def test_a_scenario_create_whose_answer_is_lost_is_found_by_listing(client: Any, emulator: DSSEmulator,
                                                                   project_key: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from dss_emulator import app as emulator_app

    original = emulator.backend.create_scenario

    def create_then_drop(key: str, body: Dict[str, Any], login: str) -> Dict[str, Any]:
        created = original(key, body, login)
        emulator_app.drop_connection()
        return created

    monkeypatch.setattr(emulator.backend, "create_scenario", create_then_drop)
    emulator.clear_request_counts()
    scenario_id = writer_for(client, "scenario").create(project_key, {"name": "Lost once", "type": "step_based"},
                                                        [("name",), ("type",)])
    assert emulator.request_counts()["POST /projects/<project_key>/scenarios/"] == 1
    listed = [s["id"] for s in client.get_project(project_key).list_scenarios(as_type="listitems")
              if s["name"] == "Lost once"]
    assert listed == [scenario_id]


def test_project_variables_given_whole_replace_both_parts(client: Any, emulator: DSSEmulator,
                                                          project_key: str) -> None:
    writer = writer_for(client, "project")
    client.get_project(project_key).set_variables({"standard": {"old": 1}, "local": {"mine": 2}})
    writer.update(project_key, project_key, {"variables": {"standard": {"new": 3}}}, [("variables",)])
    assert writer.read(project_key)["variables"] == {"standard": {"new": 3}, "local": {}}


def test_find_by_name(client: Any, project_key: str) -> None:
    folders = writer_for(client, "managed_folder")
    folder_id = folders.create(project_key, folder_attributes("named"), [("name",)])
    assert folders.find(project_key, "named") == folder_id and folders.find(project_key, "nobody") is None
    datasets = writer_for(client, "dataset")
    datasets.create(project_key, {"name": "d1", "type": "Filesystem"}, [("name",), ("type",)])
    assert datasets.find(project_key, "d1") == "d1" and datasets.find(project_key, "d2") is None
    assert writer_for(client, "project").find(project_key, project_key) == project_key
