"""``dataiku-iac state restore|unlock``: state surgery that must be explicit."""

from __future__ import annotations

import argparse
from typing import Any

from ..exceptions import ConfigError
from .common import add_state_options, out, positive_int, state_backend


def add_parser(subparsers: Any) -> None:
    """Register ``state restore`` and ``state unlock``."""
    parser = subparsers.add_parser("state", help="restore a serial, or break a stuck lock",
                                   description="Explicit operations on a stored state.")
    actions = parser.add_subparsers(title="actions", metavar="ACTION")
    restore = actions.add_parser(
        "restore", help="make a saved serial current again",
        description="Make the snapshot of serial N the current state again. It is saved as a new serial, so "
                    "nothing is lost: the state it replaces stays in the history.",
    )
    restore.add_argument("--serial", type=positive_int, required=True, metavar="N", help="the serial to restore")
    add_state_options(restore)
    restore.set_defaults(_action=_restore)
    unlock = actions.add_parser(
        "unlock", help="break a lock left by a process that hangs",
        description="Remove the lock of a state, naming the lock id that the 'is locked' error printed. "
                    "Only do this when the process holding it is gone or stuck.",
    )
    unlock.add_argument("lock_id", metavar="LOCK_ID", help="id of the lock to break (from the error message)")
    add_state_options(unlock)
    unlock.set_defaults(_action=_unlock)


def run(args: argparse.Namespace) -> int:
    """Run the chosen action."""
    action = getattr(args, "_action", None)
    if action is None:
        raise ConfigError("Say what to do: 'dataiku-iac state restore --serial N' or 'dataiku-iac state unlock ID'.")
    return int(action(args))


def _restore(args: argparse.Namespace) -> int:
    backend = state_backend(args)
    state = backend.restore(args.serial)
    out(f"Restored serial {args.serial} of {backend.location}: it is now the current state, as serial "
        f"{state.serial} ({len(state.resources)} resources).")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    backend = state_backend(args)
    info = backend.force_unlock(args.lock_id)
    out(f"Lock {args.lock_id} on {backend.location} removed (held by {info.who} for '{info.operation}').")
    return 0
