"""DSS glue of the drift viewer webapp: DSS injects the Flask ``app``; the routes live in python-lib.

Everything testable is in ``dataiku_iac.webapp`` (routes, context, DSS viewer check); this file only hands it
the run-as user's client, the project key and the webapp's parameters. The context is built on the first
request, so a missing parameter shows on the page as a readable message instead of a backend that won't start.
"""

import dataiku
from dataiku.customwebapp import get_webapp_config

from dataiku_iac.dss.client import harden_client
from dataiku_iac.webapp import lazy_context, register_routes
from dataiku_iac.webapp.dss import dss_webapp_context

app = globals().get("app")
if app is None:  # run by hand outside DSS: a Flask app of its own
    from flask import Flask

    app = Flask(__name__)


def build_context():
    """The drift viewer's context for this webapp (client, project, folder, environment)."""
    # Timeouts and the one retry policy, as the macros' clients have.
    client = harden_client(dataiku.api_client())
    return dss_webapp_context(client, dataiku.default_project_key(), get_webapp_config())


register_routes(app, lazy_context(build_context))
