"""TEST STUB of ``dataiku.customstep``: a custom scenario step's configuration, from the same env vars as DSS."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional


def get_step_config() -> Dict[str, Any]:
    """The step's parameters (``DKU_PLUGIN_STEP_CONFIG``)."""
    return json.loads(os.getenv("DKU_PLUGIN_STEP_CONFIG"))  # type: ignore[arg-type]  (unset fails, as in DSS)


def get_plugin_config() -> Dict[str, Any]:
    """The plugin's global settings (``DKU_PLUGIN_CONFIG``)."""
    return json.loads(os.getenv("DKU_PLUGIN_CONFIG"))  # type: ignore[arg-type]


def get_step_resource() -> Optional[str]:
    """The path of the plugin's resource folder (``DKU_CUSTOM_RESOURCE_FOLDER``)."""
    return os.getenv("DKU_CUSTOM_RESOURCE_FOLDER")
