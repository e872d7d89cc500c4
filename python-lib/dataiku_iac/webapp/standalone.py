"""The drift viewer outside DSS: the same routes plus the page, on a Flask app of its own.

DSS serves a webapp's ``body.html``, ``app.js`` and ``style.css`` itself and defines ``getWebAppBackendUrl``;
here :func:`create_app` serves the same three files (from :data:`STATIC_DIR`) inside a small HTML shell, with
a one-line ``shim.js`` standing in for DSS's ``getWebAppBackendUrl``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Collection
from urllib.parse import urlsplit

from flask import Flask, Response, request

from .context import ContextProvider, WebappContext
from .errors import ForbiddenError
from .routes import register_routes

PAGE_FILES = ("body.html", "app.js", "style.css")


def _page_dir() -> Path:
    """Where the page's files are: one copy only, the DSS webapp folder ``webapps/drift-viewer/``.

    A wheel carries them as ``dataiku_iac/webapp/static/`` (``setup.py`` copies them there at build time);
    a source checkout or an editable install reads them from the repository.
    """
    packaged = Path(__file__).resolve().parent / "static"
    if (packaged / "app.js").is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "webapps" / "drift-viewer"


#: The directory the page's files are served from.
STATIC_DIR = _page_dir()
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SHIM_JS = """\
// Stands in for the function DSS defines in a webapp's page: here the backend is this page's own server.
window.getWebAppBackendUrl = function (path) {
  path = String(path);
  return path.charAt(0) === "/" ? path : "/" + path;
};
"""

# Strict by default: nothing but this server's own scripts, styles and JSON. Tests of the page's own escaping
# turn it off, since it would stop an injected script even if the page rendered data as HTML.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_html(title: str = "DSS drift") -> str:
    """The full page: DSS's webapp layout (style, body fragment, the backend URL function, the script)."""
    body = (STATIC_DIR / "body.html").read_text(encoding="utf-8")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n"
        "<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n"
        f"{body}\n<script src=\"shim.js\"></script>\n<script src=\"app.js\"></script>\n</body>\n</html>\n"
    )


def create_app(
    context: ContextProvider,
    *,
    content_security_policy: bool = True,
    allowed_hosts: Collection[str] = LOOPBACK_HOSTS,
) -> Flask:
    """A Flask app serving the drift viewer page and its routes.

    ``allowed_hosts``: the host names accepted in the ``Host`` header and in the ``Origin`` of a mutating
    request (default: loopback names only). A DNS-rebinding page reaches the server under its own name,
    so an allow-list, not a comparison of Origin with Host, is what stops it.
    """
    app = Flask("dataiku_iac.webapp.standalone", static_folder=None)
    register_routes(app, context)
    title = context.title if isinstance(context, WebappContext) else "DSS drift"
    hosts = {host.lower().strip("[]") for host in allowed_hosts}

    @app.before_request
    def check_host() -> None:
        if _host_name(request.host) not in hosts:
            raise ForbiddenError(f"Host {request.host[:100]!r} is not served here: open the page under an "
                                 "allowed name (see --allowed-host)")
        origin = request.headers.get("Origin")
        mutating = request.method not in ("GET", "HEAD", "OPTIONS")
        if mutating and origin is not None and _host_name(urlsplit(origin).netloc) not in hosts:
            raise ForbiddenError("Cross-site request refused")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if content_security_policy:
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    def text(body: str, mimetype: str) -> Response:
        response = Response(body, mimetype=mimetype)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/")
    def page() -> Response:
        return text(page_html(title), "text/html")

    @app.get("/app.js")
    def app_js() -> Response:
        return text((STATIC_DIR / "app.js").read_text(encoding="utf-8"), "text/javascript")

    @app.get("/style.css")
    def style_css() -> Response:
        return text((STATIC_DIR / "style.css").read_text(encoding="utf-8"), "text/css")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)  # no icon; answered so that browsers log no error

    @app.get("/shim.js")
    def shim_js() -> Response:
        return text(SHIM_JS, "text/javascript")

    return app


def _host_name(host: str) -> str:
    """``127.0.0.1:8080`` -> ``127.0.0.1``; ``[::1]:8080`` -> ``::1``."""
    host = host.lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
