"""tools/build_plugin.py: the plugin zip holds exactly the committed plugin files, nothing else."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_tool():
    spec = importlib.util.spec_from_file_location("build_plugin", REPO / "tools" / "build_plugin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_plugin = load_tool()
ALLOWED_TOP_LEVEL = {"plugin.json", "python-lib", "python-runnables", "python-steps", "webapps", "code-env",
                     "resource", "parameter-sets", "python-triggers"}


def committed(ref: str = "HEAD") -> list:
    out = subprocess.run(["git", "ls-tree", "-r", "--name-only", "--full-tree", ref], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def test_zip_of_head_holds_the_plugin_and_nothing_else(tmp_path):
    target = build_plugin.build("HEAD", tmp_path)
    head_plugin = json.loads(subprocess.run(["git", "show", "HEAD:plugin.json"], cwd=REPO, check=True,
                                            capture_output=True).stdout)
    assert target.name == f"dss-plugin-{head_plugin['id']}-{head_plugin['version']}.zip"
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
        shipped_plugin = json.loads(archive.read("plugin.json"))
    assert shipped_plugin == head_plugin
    # Nothing but what DSS loads, and no development material.
    assert {name.split("/", 1)[0] for name in names} <= ALLOWED_TOP_LEVEL
    for name in names:
        assert "__pycache__" not in name and not name.endswith(".pyc") and ".egg-info" not in name
        assert not name.startswith(("tests/", "dss_emulator/", "benchmarks/", "examples/", "docs/", "tools/"))
    # Every committed component folder is there, whole.
    head_files = committed()
    components = {"/".join(p.split("/")[:2]) for p in head_files
                  if p.startswith(("python-runnables/", "python-steps/", "webapps/")) and p.count("/") >= 2}
    for component in components:
        expected = {p for p in head_files if p.startswith(component + "/")}
        assert expected <= set(names), f"{component} is incomplete in the zip"
    assert {"python-runnables/sync-state/runnable.py", "python-runnables/detect-drift/runnable.py",
            "python-steps/check-drift/step.py", "python-runnables/sync-state/runnable.json",
            "python-runnables/detect-drift/runnable.json", "python-steps/check-drift/step.json",
            "python-runnables/plan-from-config/runnable.py", "python-runnables/plan-from-config/runnable.json",
            "python-steps/check-config/step.py", "python-steps/check-config/step.json",
            "python-runnables/apply-plan/runnable.py", "python-runnables/apply-plan/runnable.json",
            "python-steps/apply-config/step.py", "python-steps/apply-config/step.json",
            "python-lib/dataiku_iac/plugin/apply_components.py"} <= set(names)
    assert {"code-env/python/desc.json", "code-env/python/spec/requirements.txt",
            "python-lib/dataiku_iac/__init__.py", "python-lib/dataiku_iac/schemas/state_v1.schema.json",
            "python-lib/dataiku_iac/backends/managed_folder.py"} <= set(names)
    # python-lib goes in exactly as committed (minus caches).
    lib = {p for p in head_files if p.startswith("python-lib/") and build_plugin.is_shipped(p)}
    assert lib == {n for n in names if n.startswith("python-lib/")}


def test_plugin_version_equals_the_pyproject_version_at_head():
    plugin = json.loads(build_plugin.read_committed("HEAD", "plugin.json"))
    build_plugin.check_versions("HEAD", plugin["version"])  # raises on a mismatch


def test_the_same_commit_gives_the_same_bytes(tmp_path):
    first = build_plugin.build("HEAD", tmp_path / "a").read_bytes()
    second = build_plugin.build("HEAD", tmp_path / "b").read_bytes()
    assert first == second


# -- a scratch repository: committed content only ---------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def scratch(tmp_path):
    repo = tmp_path / "repo"
    files = {
        "plugin.json": json.dumps({"id": "demo-plugin", "version": "1.2.3", "meta": {}}),
        "pyproject.toml": '[project]\nname = "demo"\nversion = "1.2.3"\n',
        "python-lib/demo/__init__.py": "VALUE = 'committed'\n",
        "python-lib/demo/__pycache__/__init__.cpython-311.pyc": "junk",
        "python-lib/demo.egg-info/PKG-INFO": "junk",
        "python-runnables/do-it/runnable.json": "{}",
        "python-runnables/do-it/runnable.py": "print('hi')\n",
        "python-steps/check/step.json": "{}",
        "python-steps/check/step.py": "",
        "webapps/viewer/webapp.json": "{}",
        "code-env/python/desc.json": "{}",
        "code-env/python/spec/requirements.txt": "six\n",
        "resource/logo.txt": "logo",
        "tests/test_demo.py": "",
        "dss_emulator/__init__.py": "",
        "benchmarks/bench.py": "",
        "examples/demo.py": "",
        "docs/index.md": "",
        "Makefile": "",
        "README.md": "",
        ".gitignore": "",
    }
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "init", "-q")
    git(repo, "add", "-f", ".")
    git(repo, "commit", "-q", "-m", "init")
    return repo


def test_only_committed_plugin_files_are_shipped(scratch, tmp_path):
    (scratch / "python-lib/demo/__init__.py").write_text("VALUE = 'uncommitted'\n")
    (scratch / "python-lib/demo/new.py").write_text("")
    target = build_plugin.build("HEAD", tmp_path / "dist", repo=scratch)
    assert target.name == "dss-plugin-demo-plugin-1.2.3.zip"
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        assert archive.read("python-lib/demo/__init__.py") == b"VALUE = 'committed'\n"
        assert archive.getinfo("python-runnables/do-it/runnable.py").date_time == (1980, 1, 1, 0, 0, 0)
    assert names == [
        "code-env/python/desc.json",
        "code-env/python/spec/requirements.txt",
        "plugin.json",
        "python-lib/demo/__init__.py",
        "python-runnables/do-it/runnable.json",
        "python-runnables/do-it/runnable.py",
        "python-steps/check/step.json",
        "python-steps/check/step.py",
        "resource/logo.txt",
        "webapps/viewer/webapp.json",
    ]
    assert build_plugin.uncommitted_changes(scratch) == ["python-lib/demo/__init__.py", "python-lib/demo/new.py"]


def test_version_mismatch_is_refused(scratch, tmp_path):
    (scratch / "pyproject.toml").write_text('[project]\nversion = "2.0.0"\n')
    git(scratch, "commit", "-q", "-am", "bump one side only")
    with pytest.raises(build_plugin.BuildError, match="differs from pyproject"):
        build_plugin.build("HEAD", tmp_path, repo=scratch)


def test_invalid_plugin_json_is_refused(scratch, tmp_path):
    (scratch / "plugin.json").write_text('{"id": "demo-plugin", /* comment */ "version": "1.2.3"}')
    git(scratch, "commit", "-q", "-am", "comment")
    with pytest.raises(build_plugin.BuildError, match="not valid JSON"):
        build_plugin.build("HEAD", tmp_path, repo=scratch)


def test_main_reports_errors_without_traceback(capsys):
    assert build_plugin.main(["--ref", "no-such-revision", "--output-dir", "/nonexistent-dir"]) == 1
    assert "build_plugin:" in capsys.readouterr().err


def test_main_builds(tmp_path, capsys):
    assert build_plugin.main(["--output-dir", str(tmp_path)]) == 0
    assert "Built" in capsys.readouterr().out
    assert list(tmp_path.glob("dss-plugin-dataiku-iac-*.zip"))
