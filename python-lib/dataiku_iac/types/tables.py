"""The descriptors as Markdown tables (``docs/types.md`` holds them; a test keeps the two equal).

``python -m dataiku_iac.types.tables`` prints them.
"""

from __future__ import annotations

from typing import List

from . import DESCRIPTORS
from .descriptor import TypeDescriptor

_IDENTITY_TEXT = {
    "project_key": "by project key: `project.KEY`",
    "name": "by name: `{type}.KEY.{name}`",
    "server_id": "by the id DSS generates at creation, next to a display name: `{type}.KEY.{id}`",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "-"


def type_table(described: TypeDescriptor) -> str:
    """One type's section: identity, calls, endpoints, and a row per tracked field."""
    lines: List[str] = [f"### {described.type_name}", ""]
    lines.append(f"- identity: {_IDENTITY_TEXT[described.identity]} (field `{described.id_field}`)")
    lines.append(f"- creatable: {'yes' if described.creatable else 'no (read-only)'}")
    for label, call in (("list", described.list_call), ("create", described.create_call),
                        ("delete", described.delete_call)):
        if call:
            lines.append(f"- {label}: `{call}`")
    if described.list_markers:
        lines.append(f"- a list item is taken whole when it holds: {', '.join(sorted(described.list_markers))}")
    lines.append("")
    lines += ["| endpoint | read | write |", "|---|---|---|"]
    for endpoint in described.endpoints:
        write = f"`{endpoint.write}`" if endpoint.write else ""
        lines.append(f"| {endpoint.name} | `{endpoint.read}` | {_cell(write)} |")
    lines += ["", "| field | read from | written to | immutable | at creation | note |", "|---|---|---|---|---|---|"]
    for spec in described.fields:
        immutable = "identity" if spec.identity else ("yes" if spec.immutable else "")
        lines.append(f"| `{spec.name}` | {spec.read_from} | {_cell(spec.write_to or '')} | {_cell(immutable)} | "
                     f"{'yes' if spec.at_creation else '-'} | {_cell(spec.note)} |")
    if described.ignored:
        lines += ["", "Left out by the sync (changes without a configuration edit):", ""]
        for ignored in described.ignored:
            only = f" ({', '.join(ignored.subtypes)} only)" if ignored.subtypes else ""
            lines.append(f"- `{ignored.path}`{only}: {ignored.reason}")
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """Every type's section, in registry order."""
    return "\n".join(type_table(described) for described in DESCRIPTORS.values())


if __name__ == "__main__":  # pragma: no cover - a documentation helper
    print(markdown(), end="")
