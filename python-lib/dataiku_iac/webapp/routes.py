"""The drift viewer's JSON routes, registered on any Flask app (DSS's injected one, ``serve``'s, a test's).

Routes (every one takes ``env``, default: the context's environment)::

    GET  /api/environments                         environments with a state
    GET  /api/viewer                               who the browser user is, and whether they may write
    GET  /api/state?env=                           current state: serial, lineage, updated_at, counts by type
    GET  /api/history?env=                         saved serials, oldest first
    GET  /api/reports?env=                         stored drift report names, oldest first
    GET  /api/report?env=&name=                    a drift report's index (the newest without name)
    GET  /api/report/change?env=&name=&address=    one resource's changes in that report
    GET  /api/compare?env=&from=&to=               index of the diff between two saved serials
    GET  /api/compare/change?env=&from=&to=&address=
    GET  /api/resource?env=&address=&serial=       one resource's attributes (current state or a serial)
    GET  /api/plans?env=                           stored plans (plan macro), newest first, who and when
    GET  /api/plan?env=&id=                        a stored plan's index (the newest without id)
    GET  /api/plan/operation?env=&id=&address=     one operation of that plan, with its attribute changes
    POST /api/plan/apply?env=  {"id", "expected_serial"}  apply a stored plan (202, a job); writers of every
                                                   project it writes (a plan creating projects: see docs)
    POST /api/check?env=                           start a live drift check (202, a job); writers only
    POST /api/accept?env=  {"report", "expected_serial"}  store the reviewed report's live state as the
                                                   baseline (202, a job); writers of every covered project
    GET  /api/jobs/<id>?wait=                      a job's progress and outcome

Errors answer ``{"error": {"status", "message"}}`` with the status; a traceback never leaves the backend.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..accept import KIND_CHECK, AcceptOutcome, accept_report, covered_projects
from ..exceptions import DataikuIaCError, StateNotFoundError
from ..models.state import parse_resource_id
from .context import ContextProvider, Viewer, WebappContext
from .errors import (
    REFUSED_STATUS,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotAuthenticatedError,
    UnavailableError,
    WebappError,
    describe,
    error_body,
)
from .jobs import JobRunner
from .plans import applied_view, plan_index, plan_operation, plan_store
from .reports import ReportCache, compare_report, stored_report
from .views import find_change, project_keys_of, report_index, resource_view, state_summary

logger = logging.getLogger("dataiku_iac.webapp")

API_PREFIX = "/api"
_SERIAL = re.compile(r"[0-9]{1,9}")
_JOB_ID = re.compile(r"[0-9a-f]{32}")
_MAX_ADDRESS = 1000
_MAX_NAME = 200
_MAX_WAIT = 10.0


def register_routes(app: Flask, context_provider: ContextProvider) -> None:
    """Add the drift viewer's routes and JSON error handlers to ``app``.

    ``context_provider`` is a :class:`WebappContext` or a callable returning one (called per request, so
    the DSS glue can build it lazily and a setup error reaches the page as a readable message).
    """
    routes = _Routes(context_provider)
    for rule, endpoint, methods in (
        ("/environments", routes.environments, ["GET"]),
        ("/viewer", routes.viewer, ["GET"]),
        ("/state", routes.state, ["GET"]),
        ("/history", routes.history, ["GET"]),
        ("/reports", routes.reports, ["GET"]),
        ("/report", routes.report, ["GET"]),
        ("/report/change", routes.report_change, ["GET"]),
        ("/compare", routes.compare, ["GET"]),
        ("/compare/change", routes.compare_change, ["GET"]),
        ("/resource", routes.resource, ["GET"]),
        ("/plans", routes.plans, ["GET"]),
        ("/plan", routes.plan, ["GET"]),
        ("/plan/operation", routes.plan_operation, ["GET"]),
        ("/plan/apply", routes.apply_plan, ["POST"]),
        ("/check", routes.check, ["POST"]),
        ("/accept", routes.accept, ["POST"]),
        ("/jobs/<job_id>", routes.job, ["GET"]),
    ):
        app.add_url_rule(API_PREFIX + rule, f"dataiku_iac_{endpoint.__name__}", endpoint, methods=methods)
    app.register_error_handler(DataikuIaCError, _library_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response, never cached (orjson: reports with thousands of rows serialise in milliseconds)."""
    try:
        body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # a value orjson refuses (e.g. an integer beyond 64 bits): the stdlib's encoder is lax
        body = json.dumps(data, default=str).encode("utf-8")
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"  # always the stored state as it is now
    return response


class _Routes:
    """The route functions, sharing the context provider, the report cache and the job runner."""

    def __init__(self, context_provider: ContextProvider) -> None:
        self._provider = context_provider
        self.cache = ReportCache()
        self.jobs = JobRunner()

    @property
    def ctx(self) -> WebappContext:
        provider = self._provider
        return provider if isinstance(provider, WebappContext) else provider()

    # -- reading ------------------------------------------------------------------------------------

    def environments(self) -> Response:
        ctx = self.ctx
        return json_response(
            {"environments": ctx.environments(), "default": ctx.opening_environment(), "title": ctx.title,
             "live_checks": ctx.make_manager is not None, "apply": ctx.apply_plan is not None,
             "apply_unavailable": "" if ctx.apply_plan is not None else ctx.apply_unavailable}
        )

    def viewer(self) -> Response:
        return json_response(self.ctx.identify(request.headers).to_dict())

    def state(self) -> Response:
        env, backend = self._backend()
        summary = state_summary(backend.load())
        summary["environment"] = env
        return json_response(summary)

    def history(self) -> Response:
        env, backend = self._backend()
        entries = [{"serial": e.serial, "size": e.size, "saved_at": e.to_dict()["saved_at"]}
                   for e in backend.history()]
        return json_response({"environment": env, "history": entries})

    def reports(self) -> Response:
        env, backend = self._backend()
        return json_response({"environment": env, "reports": backend.list_reports()})

    def report(self) -> Response:
        env, backend = self._backend()
        name, report = stored_report(self.cache, env, backend, _optional_arg("name"))
        source = {"kind": "report", "environment": env, "name": name}
        return json_response(report_index(report, source, f"drift report {name}"))

    def report_change(self) -> Response:
        env, backend = self._backend()
        address = _address()
        name, report = stored_report(self.cache, env, backend, _optional_arg("name"))
        return json_response(find_change(report, address, f"drift report {name}"))

    def compare(self) -> Response:
        env, backend = self._backend()
        old, new = _serial_arg("from"), _serial_arg("to")
        report = compare_report(self.cache, env, backend, old, new)
        source = {"kind": "compare", "environment": env, "from": old, "to": new}
        return json_response(report_index(report, source, f"the diff of serials {old} and {new}"))

    def compare_change(self) -> Response:
        env, backend = self._backend()
        address = _address()
        old, new = _serial_arg("from"), _serial_arg("to")
        report = compare_report(self.cache, env, backend, old, new)
        return json_response(find_change(report, address, f"the diff of serials {old} and {new}"))

    def resource(self) -> Response:
        _, backend = self._backend()
        address = _address()
        serial = _serial_arg("serial", required=False)
        return json_response(resource_view(backend.load(serial), address))

    # -- stored plans (the Plans tab) ---------------------------------------------------------------

    def plans(self) -> Response:
        env, backend = self._backend()
        entries = [entry.to_dict() for entry in plan_store(backend).entries()]
        records = self._apply_records(env, backend) if entries else {}
        for entry in entries:
            entry["applied"] = applied_view(records.get(entry["id"]))
        return json_response({"environment": env, "plans": entries})

    def plan(self) -> Response:
        env, backend = self._backend()
        plan_id, document = self._stored_plan(env, backend)
        return json_response(plan_index(plan_id, document, env, self._apply_records(env, backend).get(plan_id)))

    def plan_operation(self) -> Response:
        env, backend = self._backend()
        address = _address()
        plan_id, document = self._stored_plan(env, backend)
        return json_response(plan_operation(plan_id, document, address, self._apply_records(env, backend).get(plan_id)))

    def _apply_records(self, env: str, backend: Any) -> Dict[str, Dict[str, Any]]:
        """The latest apply record of each plan; none when they cannot be read (the plans still show, the
        backend log says why). Records never change once written, so they are read again only when the
        listing changed: one listing per request instead of one read per record (a request each in a folder)."""
        from ..plugin.applying import APPLY_KIND, latest_records  # the apply engine: only once plans are viewed

        try:
            names = tuple(plan_store(backend).records.list(APPLY_KIND))
            if not names:
                return {}
            return self.cache.get_or_build(("apply-records", env, names), lambda: latest_records(backend, names))
        except DataikuIaCError as exc:
            logger.warning("Could not read the apply records of %r: %s", env, exc)
            return {}

    def _stored_plan(self, env: str, backend: Any, plan_id: Optional[str] = None) -> Any:
        store = plan_store(backend)
        plan_id = plan_id or _optional_arg("id")
        if plan_id is not None and len(plan_id) > _MAX_NAME:
            raise BadRequestError("Plan id too long")
        plan_id = store.resolve(plan_id)
        # A stored plan never changes under its id (its name is its time), so it is parsed once.
        return plan_id, self.cache.get_or_build(("plan", env, plan_id), lambda: store.load(plan_id))

    def job(self, job_id: str) -> Response:
        if not _JOB_ID.fullmatch(job_id):
            raise BadRequestError("Malformed job id")
        wait = _optional_arg("wait")
        try:
            seconds = min(max(float(wait), 0.0), _MAX_WAIT) if wait else 0.0
        except ValueError:
            raise BadRequestError("wait must be a number of seconds") from None
        return json_response(self.jobs.get(job_id, seconds).to_dict())

    # -- actions ------------------------------------------------------------------------------------

    def check(self) -> Response:
        """Start a live drift check: sync now, diff against the saved state, store the report.

        It stores a report in the state folder, so it needs an identified viewer allowed to change the
        baselines it checks (:data:`WebappContext.authorize`): a reader cannot fill the report store.
        """
        ctx = self.ctx
        _check_post(ctx)
        env, backend = self._backend()
        make_manager = _live(ctx)
        if not backend.exists():  # fail now, not in the job: there is nothing to compare with
            raise StateNotFoundError(
                f"No baseline state for environment {env!r} yet: run a sync first (the sync-state macro, or "
                "'dataiku-iac sync'), then check for drift"
            )
        viewer = _identified(ctx, "the drift check was not run")
        keys = list(ctx.project_keys) if ctx.project_keys else project_keys_of(backend.load())
        ctx.authorize(viewer, keys, f"run a drift check of {env!r} (it stores a report)")

        def work(progress: Any) -> Dict[str, Any]:
            manager = make_manager(env, backend, progress)
            result = manager.detect_drift(project_keys=ctx.project_keys)
            report = result.to_report()
            report["context"]["checked_by"] = viewer.login
            name = backend.save_report(report, kind=KIND_CHECK)
            self.cache.put(("report", env, name), report)
            return {"report": name, "has_drift": bool(result.has_drift), "summary": dict(result.summary)}

        job = self.jobs.start("check", env, work, requested_by=viewer.login)
        return json_response(job.to_dict(), 202)

    def accept(self) -> Response:
        """Accept the drift report on screen as the new baseline (no second sync).

        Body: ``{"report": name (default: the newest), "expected_serial": N}``. Needs an identified viewer
        allowed to change the baseline of every project the report covers (and the state folder's project).
        """
        ctx = self.ctx
        body = _check_post(ctx)
        env, backend = self._backend()
        viewer = _identified(ctx, "the baseline was not changed")
        expected = body.get("expected_serial")
        if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool)):
            raise BadRequestError("expected_serial must be an integer")
        wanted = body.get("report")
        if wanted is not None and (not isinstance(wanted, str) or not wanted or len(wanted) > _MAX_NAME):
            raise BadRequestError("report must be the name of a stored drift report")
        name, report = stored_report(self.cache, env, backend, wanted)
        ctx.authorize(viewer, covered_projects(report), "accept the live state as the baseline")

        def work(progress: Any) -> Dict[str, Any]:
            outcome = accept_report(backend, report, environment=env, expected_serial=expected,
                                    accepted_by=viewer.login, source=name)
            clean_name = self._store_clean_report(env, backend, outcome, viewer.login, name)
            return {"serial": outcome.serial, "saved": outcome.saved, "report": clean_name,
                    "accepted_from": name, "evidence": outcome.evidence,
                    "accepted_changes": outcome.accepted_changes}

        job = self.jobs.start("accept", env, work, requested_by=viewer.login)
        return json_response(job.to_dict(), 202)

    def apply_plan(self) -> Response:
        """Apply a stored plan, exactly as reviewed on the page.

        Body: ``{"id": plan id, "expected_serial": the state serial the page showed (0: none)}``. Refused before
        anything starts when the host cannot apply (503), the viewer may not write every project the plan
        writes and the state folder's project (403; a plan creating projects needs ``authorize_creation``:
        a DSS administrator inside DSS), the plan has no operations (422), or the state moved since the page
        loaded (409). The job then applies under the state lock: a stale plan, a refused one or a permission
        missing for the acting user fails the job with the reasons, before anything is written.
        """
        ctx = self.ctx
        body = _check_post(ctx)
        env, backend = self._backend()
        if ctx.apply_plan is None:
            raise UnavailableError(f"Apply is not available here: {ctx.apply_unavailable}")
        viewer = _identified(ctx, "nothing was applied")
        wanted = body.get("id")
        if not isinstance(wanted, str) or not wanted or len(wanted) > _MAX_NAME:
            raise BadRequestError("id must be the id of a stored plan (plan-<time>)")
        expected = body.get("expected_serial")
        if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool)):
            raise BadRequestError("expected_serial must be an integer (0 when no state is stored)")
        plan_id, document = self._stored_plan(env, backend, wanted)
        _authorize_apply(ctx, viewer, plan_id, document)
        if not document.get("operations"):
            raise WebappError(f"Plan {plan_id} has no operations: DSS already matched the config, nothing to apply",
                              status=REFUSED_STATUS)
        stored = backend.load().serial if backend.exists() else 0
        if expected is not None and expected != stored:
            raise ConflictError(
                f"The state of environment {env!r} moved since this page loaded it (serial {expected}, now "
                f"{stored}): nothing was applied; reload the page and review the plan again"
            )
        apply_plan, login = ctx.apply_plan, viewer.login

        def authorize_again(keys: List[str]) -> None:  # under the state lock, with the plan as it is loaded there
            ctx.authorize(viewer, keys, f"apply plan {plan_id}")

        def work(progress: Any) -> Dict[str, Any]:
            applied = apply_plan(backend, plan_id, authorize=authorize_again, applied_by=login,
                                 progress=progress)
            return dict(applied.to_dict(), record_id=applied.record_id, note=applied.note)

        job = self.jobs.start("apply", env, work, requested_by=login, subject=plan_id)
        return json_response(job.to_dict(), 202)

    def _store_clean_report(self, env: str, backend: Any, outcome: AcceptOutcome, login: Optional[str],
                            source: str) -> str:
        """Store the (empty) drift report of the moment right after the accept, so the page shows "no drift"
        against the new serial rather than the accepted report."""
        report = outcome.baseline_report(env, login, source)
        name = backend.save_report(report, kind=KIND_CHECK)
        self.cache.put(("report", env, name), report)
        return name

    # -- helpers ------------------------------------------------------------------------------------

    def _backend(self) -> Any:
        ctx = self.ctx
        env = _optional_arg("env") or ctx.opening_environment()
        return env, ctx.backend(env)


def _identified(ctx: WebappContext, consequence: str) -> Viewer:
    """The request's viewer, who must be named (401 otherwise)."""
    viewer = ctx.identify(request.headers)
    if not viewer.login:
        raise NotAuthenticatedError(f"Could not tell who you are, so {consequence}{_because(viewer.reason)}")
    return viewer


def _authorize_apply(ctx: WebappContext, viewer: Viewer, plan_id: str, document: Dict[str, Any]) -> None:
    """The viewer must be allowed to write every existing project the plan writes (and, by the host's rule, the
    state folder's project); a plan that creates projects also needs the host's ``authorize_creation``."""
    from ..plugin.applying import created_projects, plan_projects  # the apply engine: only when applying

    ctx.authorize(viewer, plan_projects(document), f"apply plan {plan_id}")
    created = created_projects(document)
    if created:
        ctx.authorize_creation(viewer, created, f"apply plan {plan_id}, which creates project(s) {', '.join(created)}")


def _optional_arg(name: str) -> Optional[str]:
    value = request.args.get(name)
    return value if value else None


def _serial_arg(name: str, required: bool = True) -> Optional[int]:
    value = _optional_arg(name)
    if value is None:
        if required:
            raise BadRequestError(f"Missing parameter {name!r}: a serial number")
        return None
    if not _SERIAL.fullmatch(value):
        raise BadRequestError(f"Parameter {name!r} must be a serial number, not {value[:40]!r}")
    return int(value)


def _address() -> str:
    address = _optional_arg("address")
    if address is None:
        raise BadRequestError("Missing parameter 'address': a resource id such as dataset.PROJECT.name")
    if len(address) > _MAX_ADDRESS:
        raise BadRequestError("Parameter 'address' is too long")
    parse_resource_id(address)  # InvalidResourceIdError (400) says what a valid id looks like
    return address


def _live(ctx: WebappContext) -> Any:
    if ctx.make_manager is None:
        raise UnavailableError(
            "Live checks need a DSS connection, and this viewer has none: start 'dataiku-iac serve' with "
            "DKU_DSS_URL and DKU_API_KEY set"
        )
    return ctx.make_manager


def _check_post(ctx: WebappContext) -> Dict[str, Any]:
    """A mutating request must be JSON (a plain cross-site form cannot send that) and, outside DSS, come
    from this page's own origin. Returns the JSON body (an object)."""
    if not request.is_json:
        raise BadRequestError("Send this request as JSON (Content-Type: application/json)", status=415)
    if ctx.check_origin:
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            raise ForbiddenError("Cross-site request refused")
    body = request.get_json(silent=True)
    if body is None:
        if request.get_data():
            raise BadRequestError("The request body is not valid JSON")
        body = {}
    if not isinstance(body, dict):
        raise BadRequestError("The request body must be a JSON object")
    return body


def _because(reason: str) -> str:
    return f" ({reason})" if reason else ""


def _library_error(error: DataikuIaCError) -> Response:
    body, status = describe(error)
    retry_after = getattr(error, "retry_after", 0)
    if status >= 500 and not retry_after:  # a busy answer is expected under load, not a failure to log
        logger.warning("Request %s %s failed: %s", request.method, request.path, error)
    response = json_response(body, status)
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after))
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    return json_response(error_body(status, error.description or error.name), status)


def _unexpected_error(error: Exception) -> Response:
    logger.exception("Unexpected error in %s %s", request.method, request.path)
    body, status = describe(error)
    return json_response(body, status)
