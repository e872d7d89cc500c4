"""Wire-level quirks, through Flask's test client (no socket): prefixes, auth forms, bodies, errors."""

from __future__ import annotations

import base64
import io
import json

import pytest
from flask.testing import FlaskClient

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

KEY = "secret-key"
BASE = f"/dip/publicapi/projects/{SAMPLE_PROJECT_KEY}"


@pytest.fixture
def emulator() -> DSSEmulator:
    return DSSEmulator(samples=True, api_key=KEY, random_seed=0)


@pytest.fixture
def http(emulator: DSSEmulator) -> FlaskClient:
    return emulator.app.test_client()


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH = basic(KEY, "")


@pytest.mark.parametrize("headers", [
    basic(KEY, ""), basic("", KEY), {"Authorization": f"Bearer {KEY}"}, {"X-DKU-APITicket": KEY},
], ids=["basic-user", "basic-password", "bearer", "ticket"])
def test_four_auth_forms(http: FlaskClient, headers: dict[str, str]) -> None:
    response = http.get("/dip/publicapi/auth/info", headers=headers)
    assert response.status_code == 200
    assert response.json["authIdentifier"] == "admin"


@pytest.mark.parametrize("headers", [{}, basic("wrong", ""), {"Authorization": "Basic !!!"},
                                     {"Authorization": "Digest x"}])
def test_bad_or_missing_credentials_are_401(http: FlaskClient, headers: dict[str, str]) -> None:
    response = http.get("/dip/publicapi/projects/", headers=headers)
    assert response.status_code == 401
    assert response.json["errorType"] == "com.dataiku.dip.exceptions.UnauthorizedException"


def test_read_only_key_gets_403_on_writes(emulator: DSSEmulator, http: FlaskClient) -> None:
    reader = basic(emulator.create_api_key("reader", read_only=True), "")
    assert http.get(f"{BASE}/metadata", headers=reader).status_code == 200
    for method in ("post", "put", "delete"):
        response = getattr(http, method)(f"{BASE}/metadata", headers=reader, data="{}")
        assert response.status_code == 403
        assert "read-only" in response.json["message"]


def test_both_prefixes_and_optional_trailing_slashes(http: FlaskClient) -> None:
    for path in ("/dip/publicapi/projects/", "/public/api/projects/", "/public/api/projects"):
        response = http.get(path, headers=AUTH)
        assert response.status_code == 200, path
        assert response.json[0]["projectKey"] == SAMPLE_PROJECT_KEY
    for path in (f"{BASE}/variables/", f"{BASE}/variables", f"{BASE}/metadata/"):
        assert http.get(path, headers=AUTH).status_code == 200, path


def test_json_body_without_content_type(http: FlaskClient) -> None:
    body = json.dumps({"standard": {"x": 1}, "local": {}})
    response = http.put(f"{BASE}/variables/", data=body, headers=AUTH, content_type="")
    assert response.status_code == 200
    assert response.is_json  # writes answer JSON
    assert http.get(f"{BASE}/variables/", headers=AUTH).json["standard"] == {"x": 1}


def test_bad_json_is_400_with_error_body(http: FlaskClient) -> None:
    response = http.put(f"{BASE}/metadata", data="{not json", headers=AUTH)
    assert response.status_code == 400
    assert response.json["errorType"] == "java.lang.IllegalArgumentException"
    assert response.json["message"].startswith("Failed to parse JSON request body")
    response = http.put(f"{BASE}/metadata", data="[1, 2]", headers=AUTH)
    assert response.status_code == 400
    assert "Expected a JSON object" in response.json["message"]


def test_variables_put_requires_both_halves_server_side(http: FlaskClient) -> None:
    response = http.put(f"{BASE}/variables/", data=json.dumps({"standard": {}}), headers=AUTH)
    assert response.status_code == 400
    assert "local" in response.json["message"]


def test_query_booleans_as_python_prints(http: FlaskClient) -> None:
    assert http.get(f"{BASE}/datasets/?foreign=False", headers=AUTH).status_code == 200
    assert http.get(f"{BASE}/datasets/?foreign=TRUE", headers=AUTH).status_code == 200
    response = http.get(f"{BASE}/datasets/?foreign=maybe", headers=AUTH)
    assert response.status_code == 400
    assert "foreign" in response.json["message"]


def test_repeated_tags_query_filters(http: FlaskClient) -> None:
    response = http.get(f"{BASE}/datasets/?foreign=False&tags=raw&tags=none", headers=AUTH)
    assert [d["name"] for d in response.json] == ["raw_customers"]


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/dip/publicapi/projects/X/flow/graph/"),
    ("patch", f"{BASE}/metadata"),
    ("get", "/somewhere/else"),
])
def test_unknown_routes_name_method_and_path(http: FlaskClient, method: str, path: str) -> None:
    response = getattr(http, method)(path, headers=AUTH)
    assert response.status_code == 404
    assert response.json["errorType"] == "dss_emulator.UnhandledRouteException"
    assert response.json["message"] == f"The DSS emulator does not handle {method.upper()} {path}"


def test_folder_paths_with_double_slash_are_not_merged_or_redirected(emulator: DSSEmulator,
                                                                      http: FlaskClient) -> None:
    folder = f"{BASE}/managedfolders/Qx7mK2pA/contents"
    response = http.post(f"{folder}//dir/a%20b.csv", headers=AUTH,
                         data={"file": (io.BytesIO(b"abc"), "")})
    assert response.status_code == 200
    assert response.json == {"path": "/dir/a b.csv", "size": 3, "lastModified": response.json["lastModified"]}
    got = http.get(f"{folder}//dir/a%20b.csv", headers=AUTH)
    assert (got.status_code, got.data) == (200, b"abc")
    assert http.get(f"{folder}/", headers=AUTH).json["items"][0]["path"] == "/dir/a b.csv"


def test_upload_without_file_part_is_400(http: FlaskClient) -> None:
    path = f"{BASE}/managedfolders/Qx7mK2pA/contents/x"
    response = http.post(path, headers=AUTH, data={"other": (io.BytesIO(b"x"), "")})
    assert response.status_code == 400
    assert "'file' part" in response.json["message"]


def test_upload_of_a_raw_body_is_stored_as_is(http: FlaskClient) -> None:
    path = f"{BASE}/managedfolders/Qx7mK2pA/contents/raw.bin"
    assert http.post(path, headers=AUTH, data=b"\x00raw").json["size"] == 4
    assert http.get(path, headers=AUTH).data == b"\x00raw"


def test_create_responses_carry_ids(http: FlaskClient) -> None:
    folder = http.post(f"{BASE}/managedfolders/", headers=AUTH, data=json.dumps({"name": "f"}))
    assert len(folder.json["id"]) == 8
    scenario = http.post(f"{BASE}/scenarios/", headers=AUTH, data=json.dumps({"name": "My scen", "type": "step_based"}))
    assert scenario.json["id"] == "MYSCEN"
    recipe = http.post(f"{BASE}/recipes/", headers=AUTH, data=json.dumps(
        {"recipePrototype": {"type": "python", "name": "r1"}, "creationSettings": {"script": "x"}}))
    assert recipe.json == {"name": "r1"}
    project = http.post("/public/api/projects/", headers=AUTH, data=json.dumps({"projectKey": "NP", "name": "n"}))
    assert project.json["projectKey"] == "NP"
    deleted = http.delete("/public/api/projects/NP?wait=True", headers=AUTH)
    assert deleted.json["hasResult"] is True


def test_every_write_answers_json(http: FlaskClient) -> None:
    dataset = http.get(f"{BASE}/datasets/raw_customers", headers=AUTH).json
    recipe = http.get(f"{BASE}/recipes/compute_customers_prepared", headers=AUTH).json
    scenario = http.get(f"{BASE}/scenarios/REFRESH_CUSTOMERS", headers=AUTH).json
    writes = [
        ("put", f"{BASE}/datasets/raw_customers", dataset),
        ("put", f"{BASE}/datasets/raw_customers/schema", dataset["schema"]),
        ("put", f"{BASE}/datasets/raw_customers/metadata", {"tags": []}),
        ("put", f"{BASE}/recipes/compute_customers_prepared", recipe),
        ("put", f"{BASE}/scenarios/REFRESH_CUSTOMERS", scenario),
        ("put", f"{BASE}/scenarios/REFRESH_CUSTOMERS/payload", {"script": ""}),
        ("put", f"{BASE}/savedmodels/Lw3fT9dR", http.get(f"{BASE}/savedmodels/Lw3fT9dR", headers=AUTH).json),
        ("delete", f"{BASE}/managedfolders/Qx7mK2pA/contents/none", None),
        ("delete", f"{BASE}/scenarios/REFRESH_CUSTOMERS", None),
        ("delete", f"{BASE}/recipes/compute_customers_prepared", None),
        ("delete", f"{BASE}/datasets/raw_customers?dropData=False", None),
        ("delete", f"{BASE}/managedfolders/Qx7mK2pA?dropData=False", None),
    ]
    for method, path, body in writes:
        data = json.dumps(body) if body is not None else None
        response = getattr(http, method)(path, headers=AUTH, data=data)
        assert response.status_code == 200, (path, response.json)
        assert isinstance(response.json, dict), path


def test_unexpected_errors_are_500_with_a_body(emulator: DSSEmulator, http: FlaskClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(emulator.backend, "list_projects", boom)
    response = http.get("/dip/publicapi/projects/", headers=AUTH)
    assert response.status_code == 500
    assert response.json["message"] == "KeyError: 'bug'"
