# ruff: noqa: E402, I001  (the seed's imports are kept as written, after the emulator is started)
# demo_week1.py - End-to-end demonstration
#
# The seed specification's demo script (week 1 spec, "Demo Script"), run against the DSS emulator: only its
# imports are changed to dataiku_iac, and its host and API key point at an emulator started here with the
# sample project, whose key stands in for TEST_PROJECT. Run it from the repository root:
#
#     .venv/bin/python examples/demo_week1.py
#
# Against a real DSS, replace the emulator lines by your host, key and project key.

import atexit

from dss_emulator import SAMPLE_PROJECT_KEY, DSSEmulator

emulator = DSSEmulator(samples=True).start()
atexit.register(emulator.stop)
DSS_URL, DSS_API_KEY, TEST_PROJECT = emulator.url, emulator.api_key, SAMPLE_PROJECT_KEY

# --- the seed's script from here -------------------------------------------------------------------------------

from dataikuapi import DSSClient
from dataiku_iac.manager import StateManager
from dataiku_iac.backends.local import LocalFileBackend
from dataiku_iac.diff import DiffEngine
from pathlib import Path

# Setup
client = DSSClient(DSS_URL, DSS_API_KEY)
backend = LocalFileBackend(Path(".dataiku/state/demo.state.json"))
manager = StateManager(backend, client, "dev")

# Sync from Dataiku
print(f"Syncing {TEST_PROJECT} from Dataiku...")
state = manager.sync_project(TEST_PROJECT, include_children=True)

print(f"Synced {len(state.resources)} resources:")
for resource in state.list_resources():
    print(f"  - {resource.resource_id}")

# Save state
print("\nSaving state...")
manager.save_state(state)
print(f"Saved to: {backend.state_file}")

# Reload state
print("\nReloading state...")
loaded_state = manager.load_state()
print(f"Loaded {len(loaded_state.resources)} resources")

# Diff (should be no changes)
print("\nComparing states...")
diff_engine = DiffEngine()
diffs = diff_engine.diff(state, loaded_state)
summary = diff_engine.summary(diffs)
print(f"Summary: {summary}")

# Sync again (simulate drift detection)
print("\nSync again to check for drift...")
new_state = manager.sync_project(TEST_PROJECT, include_children=True)
diffs = diff_engine.diff(loaded_state, new_state)
print(diff_engine.format_output(diffs))

print("\n✓ Week 1 demo complete!")
