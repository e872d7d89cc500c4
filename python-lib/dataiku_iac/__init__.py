"""dataiku-iac: infrastructure-as-code state management and drift detection for Dataiku DSS.

The pure core (models, canonical JSON, diff, schema) imports neither ``dataiku`` nor ``dataikuapi``;
only the DSS access layers (``dss``, ``sync``, ``backends.managed_folder``) talk to DSS.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
