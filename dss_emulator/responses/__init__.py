"""Routes (moto's ``responses.py``/``urls.py``): parse requests, call the backend, serialise answers."""

from __future__ import annotations

from flask import Blueprint

from . import datasets, folders, instance, library, projects, recipes, saved_models, scenarios

FAMILIES = (projects, datasets, recipes, scenarios, folders, saved_models, library, instance)


def api_blueprint() -> Blueprint:
    """A fresh blueprint holding every emulated endpoint (registered once per URL prefix)."""
    api = Blueprint("dss_api", __name__)
    for family in FAMILIES:
        api.register_blueprint(family.bp)
    return api
