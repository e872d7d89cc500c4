"""What validation reports: each rule of docs/config.md, with the file, line and column of the problem."""

from __future__ import annotations

from typing import List

import pytest

from dataiku_iac.config import ConfigValidationError, build_desired_state, read_config, validate_config
from dataiku_iac.config.errors import Problem
from tests.config.conftest import WriteConfig


def lines(problems: List[Problem]) -> List[str]:
    return [str(problem) for problem in problems]


def only(problems: List[Problem]) -> str:
    assert len(problems) == 1, lines(problems)
    return str(problems[0])


PROJECT = "projects/P/flow.yml"


def test_every_problem_is_reported_at_once_with_its_place(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: """\
datasets:
  a:
    type: Filesystem
    parms: {connection: x}
  b:
    type: 12
recipes:
  r:
    type: python
    inputs: [a]
    outputs: [b]
    payload_file: recipes/missing.py
"""})
    result = validate_config(root)
    assert lines(result.problems) == [
        f"{root}/{PROJECT}:4:5: unknown field 'parms' in datasets.a: did you mean 'params'?",
        f"{root}/{PROJECT}:6:11: datasets.b.type must be a string, not a number",
        f"{root}/{PROJECT}:12:19: payload_file 'recipes/missing.py': no such file",
    ]
    assert not result.ok()


def test_a_resource_defined_twice_across_files_names_both_places(write_config: WriteConfig) -> None:
    root = write_config({"projects/P/a.yml": "datasets:\n  x: {type: Filesystem}\n",
                         "projects/P/b.yml": "datasets:\n  y: {type: Filesystem}\n  x: {type: Filesystem}\n"})
    assert only(validate_config(root).problems) == (
        f"{root}/projects/P/b.yml:3:3: dataset 'x' is defined twice: also at {root}/projects/P/a.yml:2:3")


def test_a_duplicate_key_in_one_file_is_an_error_not_an_overwrite(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: "datasets:\n  x: {type: Filesystem}\n  x: {type: Snowflake}\n"})
    assert only(validate_config(root).problems) == (
        f"{root}/{PROJECT}:3:3: duplicate key 'x' (first defined at line 2): each name may appear once")


def test_a_recipe_cycle_is_an_error_naming_the_recipes(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: """\
datasets:
  a: {type: Filesystem}
  b: {type: Filesystem}
  c: {type: Filesystem}
recipes:
  r1: {type: python, inputs: [a], outputs: [b]}
  r2: {type: python, inputs: [b], outputs: [c]}
  r3: {type: python, inputs: {main: [c], extra: [b]}, outputs: [a]}
"""})
    assert only(validate_config(root).problems) == (
        f"{root}/{PROJECT}:6:30: recipes form a cycle (r1 -> r3 -> r1, each reading what the previous one "
        "writes): DSS's flow cannot loop; break it with a new dataset")


def test_two_writers_of_one_output_is_an_error(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: """\
recipes:
  r1: {type: python, outputs: [a]}
  r2: {type: python, outputs: [a]}
datasets:
  a: {type: Filesystem}
"""})
    assert "recipe 'r2' writes 'a', which recipe 'r1' writes too" in only(validate_config(root).problems)


def test_a_dangling_reference_is_a_warning_and_strict_makes_it_an_error(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: """\
datasets:
  out: {type: Filesystem}
recipes:
  r: {type: python, inputs: [trip_advisor_vocabs, OTHER.shared], outputs: [out]}
"""})
    result = validate_config(root)
    assert only(result.problems) == (
        f"{root}/{PROJECT}:4:30: warning: recipe 'r' refers to 'trip_advisor_vocabs', which is no dataset or "
        "managed folder of the config: it must exist in DSS (--strict makes this an error)")
    assert result.ok() and not result.ok(strict=True)
    desired = build_desired_state(read_config(root), "dev")  # a warning does not stop the desired state
    recipe = desired.resources["recipe.P.r"].resource.attributes
    assert [item["ref"] for item in recipe["inputs"]["main"]["items"]] == ["trip_advisor_vocabs", "OTHER.shared"]


def test_unresolved_variables_are_errors_and_dss_variables_pass_through(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: """\
datasets:
  a:
    type: Filesystem
    params: {path: "${projectKey}/${var:root}/a", connection: "${var:conn}", password: "${env:DB_PASSWORD}"}
"""}, environments="""\
version: 1
variables: {root: data}
environments:
  dev: {url: "http://dev", api_key_env: DEV_KEY, variables: {conn: fs_dev}}
  prod: {url: "http://prod", api_key_env: PROD_KEY}
""")
    # Without --env: ${var:} checked in every environment, ${env:} left for plan time.
    assert only(validate_config(root).problems) == (
        f"{root}/{PROJECT}:4:63: ${{var:conn}} is not defined: add conn to the variables of environment 'prod' "
        "(or the defaults) in dataiku-iac.yml")
    assert only(validate_config(root, "dev", environ={}).problems) == (
        f"{root}/{PROJECT}:4:88: ${{env:DB_PASSWORD}} is not set: export DB_PASSWORD before running")
    result = validate_config(root, "dev", environ={"DB_PASSWORD": "s3cret"})
    assert result.problems == []
    params = result.desired["dev"].state.resources["dataset.P.a"].attributes["params"]
    assert params["path"] == "${projectKey}/data/a" and params["connection"] == "fs_dev"


def test_an_unknown_environment_is_an_error(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: "datasets: {}\n"})
    assert "environment 'qa' is not defined (known: dev)" in only(validate_config(root, "qa").problems)
    with pytest.raises(Exception, match="Environment 'qa' is not in"):
        build_desired_state(read_config(root), "qa")


def test_environments_file_is_checked_against_the_schema(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: "datasets: {}\n"}, environments="""\
version: 2
environments:
  dev: {url: "http://dev", api_key: "abc"}
""")
    assert lines(validate_config(root).problems) == [
        f"{root}/dataiku-iac.yml:1:10: version is 2: expected 1",
        f"{root}/dataiku-iac.yml:3:3: environments.dev needs the field 'api_key_env'",
        f"{root}/dataiku-iac.yml:3:28: unknown field 'api_key' in environments.dev: did you mean 'api_key_env'?",
    ]


def test_a_missing_environments_file_and_bad_project_directories(write_config: WriteConfig) -> None:
    root = write_config({"projects/lower/a.yml": "datasets: {}\n", "projects/P/notes.txt": "x"},
                        environments=None)
    assert lines(validate_config(root).problems) == [
        f"{root}/dataiku-iac.yml: missing: a config starts with dataiku-iac.yml, which names its environments "
        "(see docs/config.md)",
        f"{root}/projects/P: project directory holds no .yml file",
        f"{root}/projects/lower: project directory 'lower' is not a DSS project key (upper-case letters, digits "
        "and underscores)",
    ]


def test_side_files_must_stay_inside_the_project_directory(write_config: WriteConfig, tmp_path) -> None:
    (tmp_path / "secret.txt").write_text("ssh key", "utf-8")
    root = write_config({PROJECT: """\
recipes:
  a: {type: python, payload_file: ../../../secret.txt}
  b: {type: python, payload_file: /etc/passwd}
  c: {type: python, payload_file: code/link.py}
  d: {type: python, payload_file: code/c.py, payload: "x = 1"}
"""})
    (root / "projects/P/code").mkdir()
    (root / "projects/P/code/link.py").symlink_to(tmp_path / "secret.txt")
    messages = [p.message for p in validate_config(root).problems]
    assert messages[0].startswith("payload_file '../../../secret.txt' must be a path inside the project")
    assert messages[1].startswith("payload_file '/etc/passwd' must be a path inside the project")
    assert messages[2] == "payload_file 'code/link.py': is a symbolic link: config files are read only as " \
                          "regular files (copy the file into the config)"
    assert messages[3] == "recipe 'd' gives both 'payload' and 'payload_file': keep one"


def test_folders_of_one_name_need_an_id_and_validate_explains_it(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: """\
managed_folders:
  pairs: {type: Filesystem}
  pairs_2: {name: pairs, type: Filesystem}
recipes:
  r: {type: python, inputs: [{folder: pairs_2}], outputs: [pairs]}
"""})
    messages = [str(p) for p in validate_config(root).problems]
    assert len(messages) == 2 and all("warning: managed folder" in m for m in messages)
    assert "2 managed folders of this project are named 'pairs' ('pairs', 'pairs_2'); DSS cannot tell them " \
           "apart by name, so each needs its DSS id ('id:', which generate writes)" in messages[0]
    pinned = write_config({PROJECT: """\
managed_folders:
  pairs: {type: Filesystem, id: AbCd1234}
  pairs_2: {name: pairs, type: Filesystem, id: EfGh5678}
recipes:
  r: {type: python, inputs: [{folder: pairs_2}], outputs: [pairs]}
"""})
    result = validate_config(pinned)
    assert result.problems == []
    recipe = result.desired["dev"].resources["recipe.P.r"]
    assert recipe.resource.attributes["inputs"]["main"]["items"] == [{"ref": "EfGh5678", "deps": []}]
    assert recipe.resource.attributes["outputs"]["main"]["items"] == [{"ref": "AbCd1234", "appendMode": False}]
    assert {"managed_folder.P.AbCd1234", "managed_folder.P.EfGh5678"} <= recipe.dependencies


def test_read_config_raises_one_error_listing_the_problems(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: "datasets:\n  a: {type: [x]}\n"})
    with pytest.raises(ConfigValidationError, match=r"The config has 1 error\(s\): .*flow.yml:2:13: "
                                                    r"datasets.a.type must be a string, not a list"):
        read_config(root)


def test_without_environments_the_rest_is_still_checked(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: "recipes:\n  r: {type: python, inputs: ['${var:x}', ghost]}\n"},
                        environments=None)
    messages = [p.message for p in validate_config(root).problems]
    assert messages[0].startswith("missing: a config starts with dataiku-iac.yml")
    assert len(messages) == 3 and "refers to 'ghost'" in messages[2]  # ${var:x} cannot be judged without one


def test_fifos_and_symbolic_links_are_refused_without_hanging(write_config: WriteConfig, tmp_path) -> None:
    import os

    root = write_config({PROJECT: "datasets: {}\n"})
    os.mkfifo(root / "projects/P/pipe.yml")
    (tmp_path / "elsewhere.yml").write_text("datasets: {x: {type: F}}\n", "utf-8")
    (root / "projects/P/link.yml").symlink_to(tmp_path / "elsewhere.yml")
    messages = sorted(str(p) for p in validate_config(root).problems)
    assert messages == [
        f"{root}/projects/P/link.yml: is a symbolic link: config files are read only as regular files (copy the "
        "file into the config)",
        f"{root}/projects/P/pipe.yml: is not a regular file",
    ]


def test_payload_shapes_must_match_the_recipe_type(write_config: WriteConfig) -> None:
    root = write_config({PROJECT: """\
recipes:
  visual: {type: grouping, payload_file: code/g.json}
  code: {type: python, payload: {keys: [a]}}
""", "projects/P/code/g.json": "{not json"})
    messages = [str(p) for p in validate_config(root).problems]
    assert len(messages) == 2
    assert "payload_file of recipe 'visual' (a grouping recipe) must hold the recipe's JSON settings" in messages[0]
    assert messages[1].endswith("recipe 'code' is a python recipe: its payload is code (text, or payload_file), "
                                "not a mapping")


def test_two_keys_for_one_dss_object_and_a_second_project_section(write_config: WriteConfig) -> None:
    root = write_config({"projects/P/a.yml": """\
project: {name: A, projectKey: Q}
managed_folders:
  one: {id: SAME1234}
  two: {id: SAME1234}
""", "projects/P/b.yml": "project: {name: B}\n"})
    messages = [str(p) for p in validate_config(root).problems]
    assert messages == [
        f"{root}/projects/P/a.yml:1:32: projectKey 'Q' differs from the directory name 'P': rename the directory or "
        "remove projectKey",
        f"{root}/projects/P/a.yml:4:3: managed folder 'two' is the same DSS object as managed folder 'one' "
        "(managed_folder.P.SAME1234)",
        f"{root}/projects/P/b.yml:1:1: project P is defined twice: also at {root}/projects/P/a.yml:1:10; keep one "
        "'project:' section per project",
    ]
