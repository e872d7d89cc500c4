"""Every DSS descriptor in the repository is strict JSON and valid against tests/plugin/descriptor_schema.json,
plus the cross-field rules a schema cannot say; the code env agrees with pyproject.toml; layering rules hold."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import jsonschema
import pytest

import dataiku_iac

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).with_name("descriptor_schema.json")).read_text(encoding="utf-8"))
# Component kind -> (glob, descriptor file's code companion)
COMPONENT_GLOBS = {
    "runnable": ("python-runnables/*/runnable.json", "runnable.py"),
    "step": ("python-steps/*/step.json", "step.py"),
    "webapp": ("webapps/*/webapp.json", None),
}
EXPECTED_COMPONENTS = {
    "python-runnables/sync-state/runnable.json",
    "python-runnables/detect-drift/runnable.json",
    "python-steps/check-drift/step.json",
    "python-runnables/plan-from-config/runnable.json",
    "python-steps/check-config/step.json",
    "python-runnables/apply-plan/runnable.json",
    "python-steps/apply-config/step.json",
}
SUPPORTED_PYTHONS = ["PYTHON39", "PYTHON310", "PYTHON311", "PYTHON312"]


def strict_json(path: Path) -> Any:
    """Parse as DSS-independent strict JSON: no comments, no NaN, no duplicate keys."""

    def no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
        keys = [key for key, _ in pairs]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"duplicate keys {duplicates}")
        return dict(pairs)

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constant)


def validator_for(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator({"$ref": f"#/definitions/{kind}", "definitions": SCHEMA["definitions"]})


def schema_errors(kind: str, document: Any) -> List[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '$'}: {error.message}"
        for error in validator_for(kind).iter_errors(document)
    ]


def all_descriptors() -> List[Tuple[str, Path]]:
    found = [("plugin", REPO / "plugin.json")]
    for kind, (pattern, _) in COMPONENT_GLOBS.items():
        found.extend((kind, path) for path in sorted(REPO.glob(pattern)))
    return found


DESCRIPTORS = all_descriptors()


def test_schema_is_a_valid_draft7_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_the_plugin_components_are_all_found():
    found = {str(path.relative_to(REPO)) for _, path in DESCRIPTORS}
    assert found >= EXPECTED_COMPONENTS


@pytest.mark.parametrize(("kind", "path"), DESCRIPTORS, ids=[str(p.relative_to(REPO)) for _, p in DESCRIPTORS])
def test_descriptor_is_strict_json_and_valid(kind, path):
    document = strict_json(path)
    assert schema_errors(kind, document) == []
    check_params(document.get("params", []), path)
    if kind == "runnable":
        check_macro_roles(document)
    if kind != "plugin":
        check_component_folder(kind, path, document)


def check_params(params: List[Dict[str, Any]], path: Path) -> None:
    names = [param["name"] for param in params if "name" in param]
    assert len(names) == len(set(names)), f"{path}: duplicate parameter names"
    for param in params:
        choices = [choice["value"] for choice in param.get("selectChoices", [])]
        assert len(choices) == len(set(choices)), f"{path}: {param['name']}: duplicate choices"
        if "defaultValue" in param and param["type"] == "SELECT":
            assert param["defaultValue"] in choices, f"{path}: {param['name']}: default is not a choice"
        if "defaultValue" in param and param["type"] == "MULTISELECT":
            assert set(param["defaultValue"]) <= set(choices), f"{path}: {param['name']}: default is not a choice"
        for model_ref in re.findall(r"model\.([A-Za-z_][A-Za-z0-9_]*)", param.get("visibilityCondition", "")):
            assert model_ref in names, f"{path}: {param['name']}: visibilityCondition names unknown {model_ref}"


def check_macro_roles(document: Dict[str, Any]) -> None:
    params = {param["name"]: param for param in document["params"] if "name" in param}
    for role in document["macroRoles"]:
        keys = [role["targetParamsKey"]] if "targetParamsKey" in role else role.get("targetParamsKeys", [])
        for key in keys:
            assert key in params, f"macro role {role['type']} targets unknown param {key}"
            if role["type"] in ("MANAGED_FOLDER", "DATASET", "SAVED_MODEL"):
                assert params[key]["type"] == role["type"], f"macro role {role['type']} targets a {params[key]['type']}"


def check_component_folder(kind: str, path: Path, document: Dict[str, Any]) -> None:
    folder = path.parent
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", folder.name), f"component id {folder.name!r}: lower-case, digits, '-'"
    companion = COMPONENT_GLOBS[kind][1]
    if companion:
        assert (folder / companion).is_file(), f"{folder}: {companion} is missing"
    if kind == "webapp" and document.get("hasBackend") in (True, "true"):
        assert (folder / "backend.py").is_file(), f"{folder}: hasBackend but no backend.py"


def test_the_apply_forms_agree_with_their_parsers():
    """The apply components' fields are those their parsers read, the form's defaults are the parsers' (an
    untouched field means the same as its default), the labels are those the messages name, and the macro,
    which writes, needs the project's write permission to be run."""
    from dataiku_iac.plugin import config as plugin_config

    macro = strict_json(REPO / "python-runnables/apply-plan/runnable.json")
    step = strict_json(REPO / "python-steps/apply-config/step.json")
    assert macro["permissions"] == ["WRITE_CONF"] and macro["resultType"] == "HTML"
    assert [p["name"] for p in macro["params"]] == ["state_folder", "environment", "plan_id", "confirm_apply",
                                                    "drop_data", "allow_project_delete"]
    assert [p["name"] for p in step["params"]] == [*CONFIG_FIELDS, "state_folder", "environment",
                                                   "allow_deletions", "drop_data", "allow_project_delete"]
    labels = {p["name"]: p["label"] for p in macro["params"] + step["params"]}
    assert labels["confirm_apply"] == plugin_config.LABEL_CONFIRM
    assert labels["plan_id"] == plugin_config.LABEL_PLAN_ID
    assert labels["drop_data"] == plugin_config.LABEL_DROP_DATA
    assert labels["allow_project_delete"] == plugin_config.LABEL_ALLOW_PROJECT_DELETE
    assert labels["allow_deletions"] == plugin_config.LABEL_ALLOW_DELETIONS
    for document, parse in ((macro, plugin_config.parse_apply_params), (step, plugin_config.parse_apply_config_params)):
        filled = {"state_folder": "f", "config_folder": "c"}
        defaults = {p["name"]: p["defaultValue"] for p in document["params"] if "defaultValue" in p}
        assert parse(dict(filled, **defaults), "P") == parse(filled, "P")
    assert all(p["defaultValue"] is False for p in macro["params"] + step["params"] if p["type"] == "BOOLEAN")


CONFIG_FIELDS = ["config_source", "config_folder", "config_path", "library_path"]
CONFIG_FORMS = ["python-runnables/plan-from-config/runnable.json", "python-steps/check-config/step.json",
                "python-steps/apply-config/step.json"]


@pytest.mark.parametrize("path", CONFIG_FORMS)
def test_the_config_source_fields_agree_with_the_parser(path):
    """Every component reading a config offers the same source fields, labelled as the messages name them;
    the folder's fields show for a folder source, the library path for the library; untouched fields mean
    the parser's defaults."""
    from dataiku_iac.plugin import config as plugin_config

    document = strict_json(REPO / path)
    fields = {p["name"]: p for p in document["params"]}
    assert [p["name"] for p in document["params"]][:4] == CONFIG_FIELDS
    assert fields["config_source"]["label"] == plugin_config.LABEL_CONFIG_SOURCE
    assert [c["value"] for c in fields["config_source"]["selectChoices"]] == list(plugin_config.CONFIG_SOURCES)
    assert fields["config_folder"]["label"] == plugin_config.LABEL_CONFIG_FOLDER
    assert fields["config_path"]["label"] == plugin_config.LABEL_CONFIG_PATH
    assert fields["library_path"]["label"] == plugin_config.LABEL_LIBRARY_PATH
    assert "!= 'project_library'" in fields["config_folder"]["visibilityCondition"]
    assert "== 'project_library'" in fields["library_path"]["visibilityCondition"]
    defaults = {p["name"]: p["defaultValue"] for p in document["params"] if "defaultValue" in p}
    for filled in ({"state_folder": "f", "config_folder": "c"},
                   {"state_folder": "f", "config_source": "project_library"}):
        assert plugin_config.parse_plan_params(dict(defaults, **filled), "P") == \
            plugin_config.parse_plan_params(filled, "P")


# -- the schema bites -------------------------------------------------------------------------------------

GOOD_RUNNABLE = {
    "meta": {"label": "x", "description": "y", "icon": "icon-check"},
    "impersonate": False,
    "permissions": [],
    "resultType": "HTML",
    "resultLabel": "r",
    "macroRoles": [],
    "params": [{"name": "folder", "label": "F", "type": "MANAGED_FOLDER"}],
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["params"][0].update(name="state-folder"), "does not match"),
        (lambda d: d["params"][0].update(name="class"), "should not be valid"),
        (lambda d: d["params"][0].update(type="FOLDER"), "is not one of"),
        (lambda d: d["params"][0].update(defaulValue=1), "Additional properties"),
        (lambda d: d["meta"].pop("icon"), "'icon' is a required property"),
        (lambda d: d.update(resultType="HTM"), "is not one of"),
        (lambda d: d.update(permissions=["READ"]), "is not one of"),
        (lambda d: d.pop("resultLabel"), "'resultLabel' is a required property"),
        (lambda d: d["params"].append({"name": "b", "label": "B", "type": "BOOLEAN", "defaultValue": "true"}),
         "is not of type 'boolean'"),
        (lambda d: d["params"].append({"name": "s", "label": "S", "type": "SELECT"}), "is not valid under any"),
        (lambda d: d["params"].append({"label": "no name", "type": "STRING"}), "'name' is a required property"),
        (lambda d: d["macroRoles"].append({"type": "FOLDER", "targetParamsKey": "folder"}), "is not one of"),
    ],
)
def test_schema_refuses_mistakes(change, expected):
    document = json.loads(json.dumps(GOOD_RUNNABLE))
    assert schema_errors("runnable", document) == []
    change(document)
    assert any(expected in error for error in schema_errors("runnable", document))


def test_schema_refuses_a_bad_plugin_and_webapp():
    assert any("does not match" in e for e in schema_errors("plugin", {"id": "a b", "version": "1", "meta": {}}))
    webapp = {"meta": {"label": "x", "description": "y", "icon": "icon-eye-open"}, "baseType": "STANDARD",
              "hasBackend": True, "hasbackend": True}
    assert any("Additional properties" in e for e in schema_errors("webapp", webapp))


def test_strict_json_refuses_comments_and_duplicates(tmp_path):
    commented = tmp_path / "a.json"
    commented.write_text('{ /* DSS writes these */ "a": 1 }')
    with pytest.raises(ValueError):
        strict_json(commented)
    duplicated = tmp_path / "b.json"
    duplicated.write_text('{"a": 1, "a": 2}')
    with pytest.raises(ValueError, match="duplicate"):
        strict_json(duplicated)


# -- versions and code env ------------------------------------------------------------------------------


def pyproject() -> Dict[str, Any]:
    """The parts of pyproject.toml these tests read (tomllib from Python 3.11; a small reader before that)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python 3.9 / 3.10: read the three keys of [project] used here
        return {"project": _project_table(text)}
    return tomllib.loads(text)


def _project_table(text: str) -> Dict[str, Any]:
    table = text.split("\n[project]\n", 1)[1].split("\n[", 1)[0]
    dependencies = re.search(r"^dependencies\s*=\s*\[(.*?)\]", table, re.MULTILINE | re.DOTALL)
    return {
        "version": re.search(r'^version\s*=\s*"([^"]+)"', table, re.MULTILINE).group(1),
        "requires-python": re.search(r'^requires-python\s*=\s*"([^"]+)"', table, re.MULTILINE).group(1),
        "dependencies": re.findall(r'"([^"]+)"', re.sub(r"#.*", "", dependencies.group(1))),
    }


def test_the_fallback_pyproject_reader_agrees_with_tomllib():
    tomllib = pytest.importorskip("tomllib")
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    project = tomllib.loads(text)["project"]
    assert _project_table(text) == {key: project[key] for key in ("version", "requires-python", "dependencies")}


def test_versions_agree():
    plugin = strict_json(REPO / "plugin.json")
    assert plugin["version"] == pyproject()["project"]["version"] == dataiku_iac.__version__
    assert plugin["id"] == "dataiku-iac"


def test_code_env_requirements_equal_the_runtime_dependencies():
    lines = (REPO / "code-env/python/spec/requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    assert requirements == pyproject()["project"]["dependencies"]


def test_code_env_declares_the_supported_pythons():
    desc = strict_json(REPO / "code-env/python/desc.json")
    assert desc["acceptedPythonInterpreters"] == SUPPORTED_PYTHONS
    assert set(desc) <= {"acceptedPythonInterpreters", "corePackagesSet", "forceConda", "installCorePackages",
                         "installJupyterSupport", "basePackagesInstallMethod", "conda"}
    assert desc["forceConda"] is False
    requires = pyproject()["project"]["requires-python"]
    assert requires == ">=3.9"


# -- layering ---------------------------------------------------------------------------------------------

PYTHON_LIB = REPO / "python-lib"
_IMPORT_DATAIKU = re.compile(r"^\s*(?:import\s+dataiku(?:\s|$|,|\.)|from\s+dataiku(?:\s|\.))", re.MULTILINE)
_IMPORT_DATAIKUAPI = re.compile(r"^\s*(?:import\s+dataikuapi\b|from\s+dataikuapi\b)", re.MULTILINE)
DATAIKUAPI_ALLOWED = ("dataiku_iac/dss/", "dataiku_iac/sync/", "dataiku_iac/manager.py",
                      "dataiku_iac/backends/managed_folder.py", "dataiku_iac/plugin/")


def library_sources() -> List[Path]:
    return sorted(path for path in PYTHON_LIB.rglob("*.py") if "__pycache__" not in path.parts)


def test_python_lib_never_imports_the_internal_dataiku_package():
    offenders = [str(p.relative_to(REPO)) for p in library_sources() if _IMPORT_DATAIKU.search(p.read_text("utf-8"))]
    assert offenders == []


def test_only_the_dss_access_layers_import_dataikuapi():
    offenders = [
        str(path.relative_to(PYTHON_LIB))
        for path in library_sources()
        if _IMPORT_DATAIKUAPI.search(path.read_text("utf-8"))
        and not str(path.relative_to(PYTHON_LIB)).startswith(DATAIKUAPI_ALLOWED)
    ]
    assert offenders == []


def test_the_import_patterns_catch_what_they_should():
    assert _IMPORT_DATAIKU.search("import dataiku\n")
    assert _IMPORT_DATAIKU.search("    from dataiku.customstep import get_step_config\n")
    assert _IMPORT_DATAIKU.search("from dataiku import api_client\n")
    assert not _IMPORT_DATAIKU.search("from dataiku_iac import plugin\nimport dataikuapi\n")
    assert _IMPORT_DATAIKUAPI.search("from dataikuapi.utils import DataikuException\n")
