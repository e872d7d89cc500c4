"""The suite's own seams: one reading of its environment switches, the emulator pool, the hypothesis profile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hypothesis_profiles
import pytest
from hypothesis import settings

from tests.dss_support import (
    REPO_ROOT,
    REQUIRE_BROWSER_ENV,
    REQUIRE_SHARED_ENV,
    EmulatorPool,
    shared_projects_dir,
    skip_unless_required,
    switch_is_on,
)

SWITCH = "DATAIKU_IAC_TEST_SWITCH"


@pytest.mark.parametrize("value", [None, "", "0", " 0 "])
def test_a_switch_unset_empty_or_zero_is_off(monkeypatch: pytest.MonkeyPatch, value) -> None:
    if value is None:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, value)
    assert not switch_is_on(SWITCH)


@pytest.mark.parametrize("value", ["1", "yes", "true"])
def test_any_other_value_turns_a_switch_on(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(SWITCH, value)
    assert switch_is_on(SWITCH)


def test_missing_shared_projects_skip_and_fail_when_required(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    monkeypatch.setenv(REQUIRE_SHARED_ENV, "0")  # the other reading ("set") would fail here
    with pytest.raises(pytest.skip.Exception, match="shared real DSS projects are not at"):
        shared_projects_dir(absent)
    monkeypatch.setenv(REQUIRE_SHARED_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="DATAIKU_IAC_REQUIRE_SHARED is set: these tests must run"):
        shared_projects_dir(absent)
    assert shared_projects_dir(tmp_path) == tmp_path


def test_the_browser_switch_reads_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_BROWSER_ENV, "0")
    with pytest.raises(pytest.skip.Exception, match=r"no Chromium \(install it\)"):
        skip_unless_required("no Chromium", REQUIRE_BROWSER_ENV, "install it")
    monkeypatch.setenv(REQUIRE_BROWSER_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="no Chromium, and DATAIKU_IAC_REQUIRE_BROWSER is set"):
        skip_unless_required("no Chromium", REQUIRE_BROWSER_ENV)


def test_what_a_test_adds_to_a_pooled_emulator_is_gone_at_the_next_reset(tmp_path: Path) -> None:
    pool = EmulatorPool()
    try:
        dss = pool.reset("samples")
        started_with = sorted(dss.client().list_project_keys())
        # Both are remembered by the emulator itself and reloaded on its own reset().
        dss.add_synthetic_project("SYN_LEFT_OVER", datasets=1, recipes=0, scenarios=0, folders=0)
        dss.load_seed(dss.control.seed_dirs[0])
        assert "SYN_LEFT_OVER" in dss.client().list_project_keys()
        again = pool.reset("samples")
        assert again is dss, "one server per kind for the whole session"
        assert sorted(again.client().list_project_keys()) == started_with
        assert again.control.seed_dirs == pool.get("samples").control.seed_dirs
        assert len(again.control.seed_dirs) == 1
    finally:
        pool.stop_all()


def test_the_pool_knows_its_kinds() -> None:
    pool = EmulatorPool()
    with pytest.raises(ValueError, match="unknown emulator kind 'nope'"):
        pool.get("nope")
    bare = pool.reset("bare")
    try:
        assert bare.client().list_project_keys() == []
    finally:
        pool.stop_all()


def test_one_hypothesis_profile_for_the_suite_and_the_property_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(hypothesis_profiles.PROFILE_ENV, raising=False)
    assert hypothesis_profiles.chosen_profile() == "ci"
    chosen = hypothesis_profiles.property_settings(max_examples=7)
    assert (chosen.derandomize, chosen.deadline, chosen.max_examples) == (True, None, 7)
    assert settings.get_profile("ci").derandomize is True
    monkeypatch.setenv(hypothesis_profiles.PROFILE_ENV, "explore")
    explore = hypothesis_profiles.property_settings(max_examples=7)
    assert (explore.derandomize, explore.max_examples) == (False, 7 * hypothesis_profiles.EXPLORE_FACTOR)


SLOW_TESTS = {
    "tests/reliability/test_folder_concurrent_writers.py::test_8_concurrent_folder_writers_x_6_saves_lose_no_update",
    "tests/reliability/test_folder_concurrent_writers.py::test_lock_of_a_kill9_writer_is_reported_then_broken_only_by_its_id",
    "tests/reliability/test_local_concurrent_writers.py::test_8_concurrent_writers_lose_no_update",
    "tests/reliability/test_local_crash_safety.py::test_200_kill9_during_save_leave_no_corrupt_state",
}


def _make_recipe(target: str) -> str:
    """The commands of one Makefile target (its tab-indented lines)."""
    lines = (REPO_ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return "\n".join(recipe)


def _collected(*marker_expression: str) -> set:
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
               *marker_expression, "tests/reliability"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 5), result.stdout + result.stderr
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_make_test_fast_skips_the_slow_tests_and_make_test_keeps_them() -> None:
    assert '-m "not slow"' in _make_recipe("test-fast")
    assert "slow" not in _make_recipe("test"), "CI (make test) runs the slow tests too"
    # The long reliability tests carry the marker (pytest's -m "not slow" then leaves them out).
    assert SLOW_TESTS.issubset(_collected("-m", "slow"))
