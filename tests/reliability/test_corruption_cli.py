"""Corrupt state files through the CLI: refused with one line, history intact, restore recovers, nothing lost.

For each way a state file goes bad (truncated by a full disk or an interrupted copy, emptied by a stray ``>``,
binary garbage, valid JSON that breaks the schema, a file from a future format version, a hand edit of an
attribute without its checksum), written in place as editors and shell redirections do:

- ``show``, ``drift``, ``sync``, ``sync --force`` and ``diff`` exit 1 with ONE line naming the file and the
  problem, and leave the file as it is;
- ``history`` still lists the saved serials;
- ``state restore --serial 2`` makes the last good serial current again, as a new serial 3, whose content is
  exactly serial 2's;
- nothing is overwritten without a backup: the saved snapshots are byte for byte what they were, and the
  corrupt bytes that the restore replaced are kept in the history folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.cli.main import main
from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator
from tests.dss_support import point_environment_at

STATE = Path(".dataiku/state/dev.state.json")
HISTORY = Path(".dataiku/state/dev.state.json.history")


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _empty(data: bytes) -> bytes:
    return b""


def _binary(data: bytes) -> bytes:
    return bytes(range(256)) * 4


def _schema_invalid(data: bytes) -> bytes:
    document = json.loads(data)
    document["serial"] = "two"
    return json.dumps(document, indent=2).encode()


def _wrong_version(data: bytes) -> bytes:
    document = json.loads(data)
    document["version"] = 3
    return json.dumps(document, indent=2).encode()


def _hand_edited(data: bytes) -> bytes:
    document = json.loads(data)
    dataset = document["resources"][f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers"]
    dataset["attributes"]["description"] = "edited by hand, checksum left as it was"
    return json.dumps(document, indent=2).encode()


#: kind -> (how the file is damaged, words the one-line error must hold besides the file name)
CORRUPTIONS: Dict[str, Tuple[Callable[[bytes], bytes], Tuple[str, ...]]] = {
    "truncated": (_truncated, ("invalid JSON",)),
    "empty": (_empty, ("invalid JSON",)),
    "binary": (_binary, ("invalid JSON",)),
    "schema-invalid": (_schema_invalid, ("$.serial", "'two' is not of type 'integer'")),
    "wrong-version": (_wrong_version, ("format version 3", "newer dataiku-iac")),
    "hand-edited": (_hand_edited, ("checksum", "does not match", f"dataset.{SAMPLE_PROJECT_KEY}.raw_customers")),
}
RESULTS: Dict[str, Dict[str, bool]] = {}


@pytest.fixture
def dss(sample_emulator: DSSEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DSSEmulator:
    """The sample emulator, reset; the CLI pointed at it, working in tmp_path."""
    monkeypatch.chdir(tmp_path)
    point_environment_at(sample_emulator, monkeypatch)
    return sample_emulator


def cli(capsys: pytest.CaptureFixture, *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def two_serials(dss: DSSEmulator, capsys: pytest.CaptureFixture) -> None:
    """Serial 1: the sample project; serial 2: after a change in DSS."""
    assert cli(capsys, "sync", SAMPLE_PROJECT_KEY)[0] == 0
    dataset = dss.client().get_project(SAMPLE_PROJECT_KEY).get_dataset("raw_customers")
    settings = dataset.get_settings()
    settings.get_raw()["description"] = "changed in DSS before serial 2"
    settings.save()
    code, out, err = cli(capsys, "sync")
    assert code == 0 and "(serial 2)" in out, out + err


def damage_in_place(path: Path, data: bytes) -> None:
    """Overwrite the file's content in place (same inode), as ``>``, a full disk or most editors do."""
    with open(path, "r+b") as stream:
        stream.truncate(0)
        stream.write(data)


def refused_with_one_line(capsys: pytest.CaptureFixture, words: Tuple[str, ...], *argv: str) -> bool:
    code, out, err = cli(capsys, *argv)
    lines = err.splitlines()
    ok = code == 1 and len(lines) == 1 and str(STATE) in lines[0] and all(word in lines[0] for word in words)
    assert ok, f"dataiku-iac {' '.join(argv)}: exit {code}, stderr {err!r}, stdout {out[:300]!r}"
    return ok


def files_of(directory: Path) -> Dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_state_is_refused_listed_and_restored(kind, dss, capsys):
    damage, words = CORRUPTIONS[kind]
    two_serials(dss, capsys)
    snapshots = files_of(HISTORY)
    assert sorted(snapshots) == ["serial-00000001.json", "serial-00000002.json"]
    good = LocalFileBackend(STATE).load()
    corrupt = damage(STATE.read_bytes())
    damage_in_place(STATE, corrupt)
    outcome = RESULTS.setdefault(kind, {})

    # Refused, one line naming the file and the problem; the file is left as it is.
    refused = [
        refused_with_one_line(capsys, words, "show"),
        refused_with_one_line(capsys, words, "show", "--resource", f"project.{SAMPLE_PROJECT_KEY}"),
        refused_with_one_line(capsys, words, "drift"),
        refused_with_one_line(capsys, words, "sync"),
        refused_with_one_line(capsys, words, "sync", SAMPLE_PROJECT_KEY, "--force"),
        refused_with_one_line(capsys, words, "diff", str(HISTORY / "serial-00000001.json"), str(STATE)),
    ]
    outcome["refused"] = all(refused)
    assert STATE.read_bytes() == corrupt, "a refused command changed the corrupt file"

    # The history is still listed.
    code, out, err = cli(capsys, "history", "--format", "json")
    assert code == 0, err
    listed = [entry["serial"] for entry in json.loads(out)["history"]]
    outcome["history listed"] = listed == [2, 1]
    assert listed == [2, 1]

    # Nothing was overwritten: the snapshots are what they were (the current serial's included).
    changed = [name for name, data in snapshots.items() if files_of(HISTORY).get(name) != data]
    outcome["snapshots intact"] = not changed
    assert not changed, f"snapshots changed by damaging the current state file in place: {changed}"

    # Restore the last good serial: it becomes serial 3, with serial 2's content.
    code, out, err = cli(capsys, "state", "restore", "--serial", "2")
    assert code == 0, err
    assert "as serial 3" in out, out
    assert "its bytes are kept as .dataiku/state/dev.state.json.history/corrupt-" in err, err  # the user is told where
    restored = LocalFileBackend(STATE).load()
    assert restored.serial == 3 and restored.lineage == good.lineage
    assert {rid: r.attributes for rid, r in restored.resources.items()} == {
        rid: r.attributes for rid, r in good.resources.items()}
    outcome["restored"] = True

    # The corrupt bytes the restore replaced are kept beside the snapshots, and the old snapshots still are.
    after = files_of(HISTORY)
    kept = [name for name, data in after.items() if data == corrupt and name not in snapshots]
    outcome["corrupt bytes kept"] = bool(kept)
    assert kept, f"the corrupt file was replaced without a backup: history holds {sorted(after)}"
    assert all(after[name] == data for name, data in snapshots.items())

    # Everything works again.
    assert cli(capsys, "show")[0] == 0
    assert cli(capsys, "drift")[0] == 0
    code, out, _ = cli(capsys, "history", "--format", "json")
    assert [entry["serial"] for entry in json.loads(out)["history"]] == [3, 2, 1]


def test_zz_print_figures():
    """Summary line of the parametrized test above (runs last in this module)."""
    if len(RESULTS) != len(CORRUPTIONS):
        pytest.skip("the corruption tests did not all run")
    counts: List[int] = [sum(1 for outcome in RESULTS.values() if outcome.get(key)) for key in
                         ("refused", "history listed", "snapshots intact", "restored", "corrupt bytes kept")]
    print(f"\n{len(CORRUPTIONS)} corruption kinds: {counts[0]} refused with file and problem (6 commands each), "
          f"{counts[1]} with history listed, {counts[2]} with snapshots intact, {counts[3]} restored, "
          f"{counts[4]} with the corrupt bytes kept")
    assert counts == [len(CORRUPTIONS)] * 5
