"""Apply records the write layer's own read-back: after a write, the object is not read a third time.

The writer keeps its latest read of the object (``ObjectWriter.last_read``, made after its latest write); the
executor's :class:`ObjectReader` builds the state's resource from it, which must equal what a fresh sync read
gives, and falls back to reading when the writer holds no read of that object.
"""

from __future__ import annotations

import pytest

from dataiku_iac.apply.executor import ObjectReader
from dataiku_iac.apply.writers import writer_for
from dataiku_iac.exceptions import DataikuIaCError
from dataiku_iac.sync.rules import SyncRules

DATASET = {"name": "orders", "type": "Filesystem", "managed": False,
           "params": {"connection": "filesystem_root", "path": "/data/orders"},
           "formatType": "csv", "formatParams": {"separator": ","},
           "schema": {"columns": [{"name": "id", "type": "bigint"}], "userModified": True}}
RECIPE = {"name": "compute_orders_copy", "type": "python",
          "inputs": {"main": {"items": [{"ref": "orders", "deps": []}]}},
          "outputs": {"main": {"items": [{"ref": "orders", "appendMode": False}]}},
          "payload": "import dataiku\nprint('copy')\n"}


def paths_of(attributes: dict) -> set:
    return {(key,) for key in attributes}


@pytest.mark.parametrize("resource_type, attributes", [("dataset", DATASET), ("recipe", RECIPE)])
def test_the_writers_read_back_is_what_a_fresh_read_records(client, project_key, resource_type, attributes):
    if resource_type == "recipe":
        writer_for(client, "dataset").create(project_key, DATASET, paths_of(DATASET))
    writer = writer_for(client, resource_type)
    object_id = writer.create(project_key, attributes, paths_of(attributes))
    assert writer.last_read is not None and writer.last_read[0] == object_id
    reader = ObjectReader(client, SyncRules())
    reused = reader.read(resource_type, project_key, object_id, writer.last_read)
    fresh = reader.read(resource_type, project_key, object_id)
    assert reused.to_dict()["attributes"] == fresh.to_dict()["attributes"]
    assert reused.metadata.checksum == fresh.metadata.checksum


def test_no_request_is_made_when_the_writer_already_read_the_object(client, project_key, emulator):
    writer = writer_for(client, "dataset")
    object_id = writer.create(project_key, DATASET, paths_of(DATASET))
    reader = ObjectReader(client, SyncRules())
    emulator.clear_request_counts()
    reader.read("dataset", project_key, object_id, writer.last_read)
    assert sum(emulator.request_counts().values()) == 0
    reader.read("dataset", project_key, object_id, ("another_dataset", {}))  # not this object's: read it
    assert sum(emulator.request_counts().values()) == 1


def test_a_new_write_forgets_the_previous_read(client, project_key):
    writer = writer_for(client, "dataset")
    object_id = writer.create(project_key, DATASET, paths_of(DATASET))
    assert writer.last_read is not None
    with pytest.raises(DataikuIaCError):
        writer.update(project_key, "no_such_dataset", DATASET, paths_of(DATASET))
    assert writer.last_read is None or writer.last_read[0] != object_id
