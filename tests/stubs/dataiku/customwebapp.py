"""TEST STUB of ``dataiku.customwebapp``: a plugin webapp's configuration, from the same env vars as DSS."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional


def get_webapp_config() -> Dict[str, Any]:
    """The webapp's parameters (``DKU_CUSTOM_WEBAPP_CONFIG``)."""
    return json.loads(os.getenv("DKU_CUSTOM_WEBAPP_CONFIG"))  # type: ignore[arg-type]  (unset fails, as in DSS)


def get_plugin_config() -> Dict[str, Any]:
    """The plugin's global settings (``DKU_PLUGIN_CONFIG``)."""
    return json.loads(os.getenv("DKU_PLUGIN_CONFIG"))  # type: ignore[arg-type]


def get_webapp_resource() -> Optional[str]:
    """The path of the plugin's resource folder (``DKU_CUSTOM_RESOURCE_FOLDER``)."""
    return os.getenv("DKU_CUSTOM_RESOURCE_FOLDER")


def get_plugin_settings(config: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The plugin settings (the stub returns ``config`` or the plugin config)."""
    return config if config is not None else get_plugin_config()
