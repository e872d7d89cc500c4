"""Hypothesis settings of the whole suite, in one place (``tests/conftest.py`` loads the chosen profile).

- ``ci`` (the default, here and in CI): derandomized, so the examples are the same on every run and every
  machine and a red build is reproducible; no deadline (a loaded machine is slow, not wrong).
- ``explore``: randomized, five times the examples: ``HYPOTHESIS_PROFILE=explore`` to hunt for new failures.

A property test that needs another number of examples than the profile's uses :func:`property_settings`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "HYPOTHESIS_PROFILE"
DEFAULT_PROFILE = "ci"
EXPLORE_FACTOR = 5

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=100 * EXPLORE_FACTOR,
                          suppress_health_check=[HealthCheck.too_slow])


def chosen_profile() -> str:
    """The profile named by ``HYPOTHESIS_PROFILE``, else ``ci``."""
    return os.environ.get(PROFILE_ENV, "").strip() or DEFAULT_PROFILE


def load_chosen_profile() -> None:
    """Make the chosen profile hypothesis's default (once, from ``tests/conftest.py``)."""
    settings.load_profile(chosen_profile())


def property_settings(max_examples: int) -> settings:
    """The chosen profile with ``max_examples`` (scaled up under ``explore``)."""
    parent = settings.get_profile(chosen_profile())
    scale = EXPLORE_FACTOR if chosen_profile() == "explore" else 1
    return settings(parent, max_examples=max_examples * scale)
