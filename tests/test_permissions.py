"""The one "may write these projects" check, on a duck-typed client (the emulator-backed tests are in
tests/webapp/test_dss_backend.py and tests/plugin/test_components.py)."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from dataiku_iac.exceptions import DSSError, PermissionDeniedError
from dataiku_iac.permissions import Principal, client_principal, principal_from_auth_info, require_write


class Client:
    def __init__(self, permissions: Dict[str, Any], auth: Any = None, admin_groups=()) -> None:
        self.permissions, self.auth, self.admin_groups, self.reads = permissions, auth, set(admin_groups), []

    def get_project(self, key: str) -> Any:
        client = self

        class Project:
            def get_permissions(self) -> Any:
                client.reads.append(key)
                answer = client.permissions[key]
                if isinstance(answer, Exception):
                    raise answer
                return answer

        return Project()

    def get_group(self, name: str) -> Any:
        admin = name in self.admin_groups

        class Group:
            def get_definition(self) -> Any:
                return {"admin": admin}

        return Group()

    def get_auth_info(self) -> Any:
        if isinstance(self.auth, Exception):
            raise self.auth
        return self.auth


PERMISSIONS = {
    "OPS": {"owner": "admin", "permissions": [{"group": "ops", "writeProjectContent": True}]},
    "CA": {"owner": "data.team", "permissions": [{"group": "ops", "readProjectContent": True},
                                                 {"user": "uma", "admin": True}]},
    "SECRET": RuntimeError("403 Forbidden"),
    "ODD": ["not", "a", "dict"],
}
OSCAR = Principal("oscar", frozenset({"ops"}))


def test_every_project_is_checked_and_every_refusal_named():
    client = Client(PERMISSIONS)
    with pytest.raises(PermissionDeniedError) as refused:
        require_write(client, ["OPS", "CA", "SECRET", "ODD", "CA"], OSCAR, "accept the live state")
    message = str(refused.value)
    assert message.startswith("oscar may not accept the live state: that needs write access to projects ")
    assert "CA (no write access granted)" in message and "OPS" not in message.split("projects ")[1]
    assert "SECRET (its permissions could not be read" in message and "ODD (DSS answered" in message
    assert sorted(client.reads) == ["CA", "ODD", "OPS", "SECRET"]  # each read once


def test_grants_by_user_owner_and_administrators():
    require_write(Client(PERMISSIONS), ["CA"], Principal("uma"), "x")
    require_write(Client(PERMISSIONS), ["CA"], Principal("data.team"), "x")
    require_write(Client(PERMISSIONS), ["SECRET"], Principal("root", dss_admin=True), "x")
    require_write(Client(PERMISSIONS, admin_groups={"admins"}), ["SECRET"], Principal("a", frozenset({"admins"})), "x")
    require_write(Client(PERMISSIONS), [], OSCAR, "x")  # nothing to change: nothing to check


def test_who_the_client_acts_as():
    assert client_principal(Client({}, {"authIdentifier": "oscar", "groups": ["ops"], "admin": False})) == OSCAR
    with pytest.raises(DSSError, match="did not name the user"):
        client_principal(Client({}, {"groups": []}))
    with pytest.raises(DSSError, match="could not say who runs this"):
        client_principal(Client({}, RuntimeError("down")))
    assert principal_from_auth_info("junk") is None
    assert principal_from_auth_info({"authIdentifier": "x", "groups": "not-a-list"}) == Principal("x")
