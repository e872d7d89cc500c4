"""Shared CLI helpers: argument types, the progress display."""

from __future__ import annotations

import argparse
import io
import threading

import pytest
from rich.console import Console

from dataiku_iac.cli import common
from dataiku_iac.cli.common import ProgressDisplay, describe_counts, positive_float, positive_int


def test_argument_types():
    assert positive_int("3") == 3 and positive_float("0.5") == 0.5
    for bad in ("0", "-1", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(bad)
    for bad in ("0", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_float(bad)


def test_describe_counts():
    assert describe_counts({"project": 1, "managed_folder": 2}) == "1 project, 2 managed folders"
    assert describe_counts({}) == "nothing"


def test_progress_is_silent_when_disabled_or_quick():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True)
    with ProgressDisplay(enabled=False, delay=0, console=console) as progress:
        progress(1, 2)
    with ProgressDisplay(enabled=True, delay=60, console=console) as progress:
        progress(1, 2)  # before the delay: nothing shown
    assert buffer.getvalue() == ""


def test_progress_bar_for_long_syncs_from_worker_threads():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with ProgressDisplay(enabled=True, delay=0, console=console, label="Reading") as progress:
        workers = [threading.Thread(target=progress, args=(done, 40)) for done in range(1, 41)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        progress(40, 40)
        assert progress._progress is not None
    assert "Reading" in buffer.getvalue()
    assert progress._progress is None


def test_progress_only_on_terminals(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(common.sys, "stdout", io.StringIO())
    assert common.progress_for(argparse.Namespace()).enabled is False
    monkeypatch.setattr(common.sys, "stdout", Tty())
    monkeypatch.setattr(common.sys, "stderr", Tty())
    assert common.progress_for(argparse.Namespace()).enabled is True
