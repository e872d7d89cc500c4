"""The one reader of a config kept in DSS (``config_source``), on a source made in the test: the reads run
concurrently in a bounded window, the files land in order, and a bound or a failure stops the reading."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from dataiku_iac.config import ConfigFileError, Location
from dataiku_iac.exceptions import ConfigError, DSSError, StaleStateError
from dataiku_iac.plugin.config_source import (
    SourceFile,
    download,
    files_under,
    in_source_terms,
    normalize_config_path,
    open_config,
)

#: A safety net only: the barrier is passed as soon as enough reads are in flight, never waited out.
BARRIER_TIMEOUT = 60


class CountingSource:
    """Files in memory; records the reads started and the most in flight at once."""

    noun = "a test source"

    def __init__(self, contents: Dict[str, bytes], *, barrier: Optional[threading.Barrier] = None,
                 failing: str = "", sizes: bool = False) -> None:
        self.contents = contents
        self.barrier = barrier
        self.failing = failing
        self.sizes = sizes
        self.lock = threading.Lock()
        self.started: List[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def files(self, path: str) -> List[SourceFile]:
        return files_under(((p, len(d) if self.sizes else 0) for p, d in self.contents.items()), path)

    def read(self, full: str) -> Optional[bytes]:
        with self.lock:
            self.started.append(full)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.barrier is not None:
                self.barrier.wait(timeout=BARRIER_TIMEOUT)  # passes only once `parties` reads run at once
            if full == self.failing:
                raise DSSError(f"Cannot read test:{full}: DSS answered 500")
            return self.contents.get(full)
        finally:
            with self.lock:
                self.in_flight -= 1

    def describe(self, path: str) -> str:
        return f"test source:{path}"

    def missing_hint(self, path: str) -> str:
        return f"put the config under {path}"


def many(count: int, size: int = 10) -> Dict[str, bytes]:
    return {f"/iac/projects/P/recipes/r{index:03d}.py": bytes([65 + index % 26]) * size for index in range(count)}


def test_reads_run_concurrently_within_the_window(tmp_path: Path) -> None:
    workers = 4
    source = CountingSource(many(16), barrier=threading.Barrier(workers))
    assert download(source, "/iac", tmp_path, workers=workers) == 16
    # sequential reads would break the barrier; more than `workers` at once would be an unbounded fan-out
    assert source.most_in_flight == workers
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [full[len("/iac/"):] for full in sorted(
        source.contents)]
    assert all(p.read_bytes() == source.contents["/iac/" + p.relative_to(tmp_path).as_posix()] for p in written)


def test_one_worker_reads_one_file_at_a_time_in_order(tmp_path: Path) -> None:
    source = CountingSource(many(5))
    download(source, "/iac", tmp_path, workers=1)
    assert source.most_in_flight == 1 and source.started == sorted(source.contents)


def test_the_byte_bound_stops_the_reads_without_sizes_in_the_listing(tmp_path: Path) -> None:
    workers = 4
    source = CountingSource(many(40, size=100))
    with pytest.raises(ConfigError, match="config at test source:/iac holds more than"):
        download(source, "/iac", tmp_path, max_bytes=250, workers=workers)
    # the third file passes the bound: at most the reads already in the window were started
    assert 3 <= len(source.started) <= 3 + workers


def test_sizes_in_the_listing_refuse_before_any_read(tmp_path: Path) -> None:
    source = CountingSource(many(40, size=100), sizes=True)
    with pytest.raises(ConfigError, match="holds more than"):
        download(source, "/iac", tmp_path, max_bytes=250)
    with pytest.raises(ConfigError, match="has 40 files, more than the 39 read from a test source"):
        download(source, "/iac", tmp_path, max_files=39)
    assert source.started == [] and list(tmp_path.iterdir()) == []


def test_a_failed_read_stops_the_reading_and_is_raised(tmp_path: Path) -> None:
    contents = many(40)
    failing = sorted(contents)[5]
    source = CountingSource(contents, failing=failing)
    with pytest.raises(DSSError, match="DSS answered 500"):
        download(source, "/iac", tmp_path, workers=4)
    assert len(source.started) <= 6 + 4


def test_a_file_gone_since_the_listing_is_skipped(tmp_path: Path) -> None:
    source = CountingSource(many(3))
    listed = source.files("/iac")
    gone = listed[1][0]
    source.files = lambda path: listed  # type: ignore[method-assign]  (the listing made before the removal)
    del source.contents[gone]
    download(source, "/iac", tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*.py")) == sorted(Path(f).name for f, _, _ in listed
                                                                    if f != gone)


def test_nothing_at_the_path_uses_the_source_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^No config at test source:/nowhere: put the config under /nowhere$"):
        download(CountingSource(many(2)), "/nowhere", tmp_path)


def test_open_config_removes_its_copy_when_the_read_fails(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    source = CountingSource(many(10), failing=sorted(many(10))[3])
    with pytest.raises(DSSError), open_config(source, "/iac"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_git_checkout_s_own_files_are_not_config(tmp_path: Path) -> None:
    contents = dict(many(2))
    contents.update({f"/iac/.git/objects/{index:02x}": b"git" for index in range(50)})
    contents["/iac/projects/P/.git/HEAD"] = b"ref"
    source = CountingSource(contents)
    assert download(source, "/iac", tmp_path, max_files=2) == 2  # the 51 git files count for nothing
    assert not any(".git" in full for full in source.started)
    assert not (tmp_path / ".git").exists()


def test_errors_are_told_in_the_source_s_terms() -> None:
    temp, shown = "/tmp/dataiku-iac-config-x/config", "test source:/iac"
    mapped = in_source_terms(ConfigFileError(Location(f"{temp}/a.yml", 3, 1), f"see {temp}/b.yml"), temp, shown)
    assert isinstance(mapped, ConfigFileError)
    assert str(mapped) == f"{shown}/a.yml:3:1: see {shown}/b.yml"
    plain = in_source_terms(ConfigError(f"cannot read {temp}/c.py"), temp, shown)
    assert type(plain) is ConfigError and str(plain) == f"cannot read {shown}/c.py"
    # a class whose constructor takes other arguments: its message, as a ConfigError
    odd = in_source_terms(StaleStateError(1, 2, f"{temp}/state.json"), temp, shown)
    assert isinstance(odd, ConfigError) and f"State at {shown}/state.json" in str(odd)
    untouched = ConfigError("nothing about files")
    assert in_source_terms(untouched, temp, shown) is untouched


def test_a_path_parameter_that_is_not_text_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^Where: expected a path such as /config$"):
        normalize_config_path(12, "Where")
    assert normalize_config_path(None) == "/" and normalize_config_path("a\\b/") == "/a/b"
