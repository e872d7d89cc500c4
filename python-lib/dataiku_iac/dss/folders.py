"""Finding a managed folder in DSS from what a form or a command line names (an id or a name, maybe in another
project), without pulling in the state manager: the drift viewer starts with this alone."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple

from ..exceptions import ConfigError, ResourceNotFoundError
from .errors import to_library_error


def resolve_folder(client: Any, candidates: Sequence[Tuple[str, str]], *, label: str = "State folder",
                   secrets: Iterable[Optional[str]] = ()) -> Any:
    """The ``DSSManagedFolder`` of the first ``(project key, folder id or name)`` candidate that exists.

    A candidate whose project does not exist is skipped (a value such as ``V2.reports`` may be a local name
    rather than ``PROJECT.id``); other DSS errors are raised as library errors with ``secrets`` masked.
    """
    secrets = tuple(secrets)
    tried = []
    for project_key, value in candidates:
        tried.append(f"'{value}' in project {project_key}")
        project = client.get_project(project_key)
        try:
            folders = project.list_managed_folders()
        except Exception as exc:
            error = to_library_error(exc, f"listing the managed folders of project {project_key}", secrets)
            if isinstance(error, ResourceNotFoundError):
                continue
            raise error from exc
        for key in ("id", "name"):
            for folder in folders:
                if isinstance(folder, Mapping) and folder.get(key) == value:
                    return project.get_managed_folder(folder["id"])
    raise ConfigError(
        f"{label}: no managed folder {' or '.join(tried)}; choose an existing folder (or check that you can read it)"
    )
