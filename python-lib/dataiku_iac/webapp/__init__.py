"""The drift viewer's backend: Flask routes over a state backend, usable inside DSS and from ``serve``.

Nothing here imports ``dataiku``: the glue (``webapps/drift-viewer/backend.py``, ``cli/serve.py``) builds a
:class:`WebappContext` and calls :func:`register_routes`. The page itself (``static/``) is plain HTML, JS and
CSS, also shipped as the DSS webapp's files.
"""

from __future__ import annotations

from .context import Viewer, WebappContext, lazy_context, local_context, manager_factory_for
from .routes import API_PREFIX, register_routes

__all__ = [
    "API_PREFIX",
    "Viewer",
    "WebappContext",
    "lazy_context",
    "local_context",
    "manager_factory_for",
    "register_routes",
]
