"""Hypothesis settings for the property tests of the pure core.

The ``ci`` profile (derandomized, no deadline) is registered here if ``conftest.py`` has not done it
already, and the property tests take it as their parent so their examples are the same on every run and
every machine: a red build is reproducible. ``HYPOTHESIS_PROFILE=<name>`` picks another registered
profile as parent, e.g. a randomized one to explore more locally.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

try:
    settings.get_profile("ci")
except InvalidArgument:
    settings.register_profile(
        "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


def property_settings(max_examples: int) -> settings:
    """Settings for one property test: the chosen profile (``ci`` by default) with ``max_examples``."""
    parent = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    return settings(parent, max_examples=max_examples, deadline=None)
