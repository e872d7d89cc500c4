"""The top-level keys DSS keeps when it saves an object, per type.

A real DSS deserialises a settings save into typed Java objects, so a top-level key the class lacks
vanishes without an error (reported by the Terraform provider for Dataiku on DSS 15; dataikuapi's
docs tell users to "create a dataset from the UI and inspect it" to know which fields exist). The
emulator keeps, for each type, the union of the keys seen in real objects (the shared real project
trees written by DSS 8-11: GIT_INTEGRATION_DEMO, RAMENMEITEN; the dataikuapi docstring examples)
and of the fields DSS adds on creation; anything else is dropped on save and on create.

Only the top level is filtered: nested blocks such as ``params`` differ per dataset type (connection
parameters, SQL modes...) and the emulator has no per-type model of them.
"""

from __future__ import annotations

from typing import Any, Iterable

from .common import JSONDict

# Every taggable object: identity and the fields of DSS's "taggable object" base.
_TAGGABLE = {"projectKey", "tags", "customFields", "checklists", "shortDesc", "description",
             "versionTag", "creationTag"}

DATASET_KEYS = frozenset(_TAGGABLE | {
    "name", "type", "managed", "featureGroup", "formatType", "formatParams", "params", "schema",
    "partitioning", "flowOptions", "readWriteOptions", "metrics", "metricsChecks", "checks", "dkuProperties",
    "customMeta",
})

RECIPE_KEYS = frozenset(_TAGGABLE | {
    "name", "type", "inputs", "outputs", "params", "neverRecomputeExistingPartitions", "optionalDependencies",
    "redispatchPartitioning", "maxRunningActivities", "hashPropagationBehavior", "variables", "dkuProperties",
    "labels", "customMeta",
})

SCENARIO_KEYS = frozenset(_TAGGABLE | {
    "id", "name", "type", "active", "triggers", "reporters", "params", "delayedTriggersBehavior",
    "automationLocal", "runAsUser",
})

FOLDER_KEYS = frozenset(_TAGGABLE | {
    "id", "name", "type", "params", "partitioning", "flowOptions", "metrics", "checks",
    # older DSS versions wrote the folder's own path at the top level (RAMENMEITEN)
    "path",
})

PROJECT_SETTINGS_KEYS = frozenset({
    "projectType", "projectAppType", "projectStatus", "owner", "name", "description", "shortDesc", "tags",
    "customFields", "checklists", "imgPattern", "imgColor", "showInitials", "tutorialProject", "tutorialId",
    "hasSetupSection", "permissionsVersion", "permissions", "exposedObjects", "dashboardAuthorizations",
    "additionalDashboardUsers", "settings", "metrics", "metricsChecks", "bundleExporterSettings",
    "bundleContainerSettings", "versionTag", "creationTag",
})


def known_only(definition: JSONDict, known: Iterable[str]) -> JSONDict:
    """``definition`` without the top-level keys DSS would not keep (a new dict; values are shared)."""
    allowed = known if isinstance(known, (set, frozenset)) else set(known)
    return {k: v for k, v in definition.items() if k in allowed}


def unknown_keys(definition: Any, known: Iterable[str]) -> list[str]:
    """The top-level keys of ``definition`` a save would drop (for tests and docs)."""
    if not isinstance(definition, dict):
        return []
    allowed = set(known)
    return sorted(k for k in definition if k not in allowed)
