"""Background jobs for the long actions (a live drift check, accepting the live state), with progress.

A live sync of a large project takes longer than a browser or a proxy waits for one HTTP answer, and the page
wants to show how far it got. So the routes start a job in a thread and the page polls it. At most one job
runs per environment: a second "Check now" while one runs joins it instead of hammering DSS twice.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from ..timeutil import format_timestamp, utc_now
from .errors import ConflictError, NotFoundError, describe

logger = logging.getLogger("dataiku_iac.webapp")

#: Finished jobs kept for the page to read their outcome.
DEFAULT_KEEP = 20

Work = Callable[[Callable[[int, int], None]], Dict[str, Any]]


@dataclass
class Job:
    """One background action and where it got to."""

    kind: str
    environment: str
    requested_by: Optional[str] = None
    #: What the job acts on within its kind (the plan id of an apply), None when the kind says it all.
    subject: Optional[str] = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "running"  # running, done, failed
    done: int = 0
    total: int = 0
    started_at: Any = field(default_factory=utc_now)
    finished_at: Any = None
    result: Optional[Dict[str, Any]] = None
    error: Optional[Dict[str, Any]] = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def progress(self, done: int, total: int) -> None:
        """The sync's progress callback."""
        self.done, self.total = int(done), int(total)

    def to_dict(self) -> Dict[str, Any]:
        """JSON form for the page."""
        return {
            "id": self.id,
            "kind": self.kind,
            "environment": self.environment,
            "requested_by": self.requested_by,
            "subject": self.subject,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "started_at": format_timestamp(self.started_at),
            "finished_at": format_timestamp(self.finished_at) if self.finished_at else None,
            "result": self.result,
            "error": self.error,
        }


class JobRunner:
    """Starts jobs in daemon threads and remembers the last few."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.keep = keep
        self._jobs: Dict[str, Job] = {}
        self._order: List[str] = []
        self._lock = threading.Lock()

    def start(self, kind: str, environment: str, work: Work, requested_by: Optional[str] = None,
              subject: Optional[str] = None) -> Job:
        """Run ``work(progress)`` in the background; joins a running job of the same kind, environment and
        subject. Any other job running on the environment is a conflict: one job at a time per environment
        (an apply of another plan, or a check, must not run under an apply)."""
        with self._lock:
            for job in self._jobs.values():
                if job.environment == environment and job.status == "running":
                    if job.kind == kind and job.subject == subject:
                        return job
                    what = f"{job.kind} of {job.subject}" if job.subject else job.kind
                    article = "An" if what[0] in "aeiou" else "A"
                    raise ConflictError(
                        f"{article} {what} job is already running for environment {environment!r}: "
                        "wait for it to finish, then try again"
                    )
            job = Job(kind, environment, requested_by, subject)
            self._jobs[job.id] = job
            self._order.append(job.id)
            self._forget_old()
        threading.Thread(target=self._run, args=(job, work), name=f"dataiku-iac-{kind}-{environment}",
                         daemon=True).start()
        return job

    def get(self, job_id: str, wait: float = 0.0) -> Job:
        """A job by id, after waiting up to ``wait`` seconds for it to finish."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"No job {job_id!r} (finished jobs are forgotten after a while): reload the page")
        if wait > 0:
            job.finished.wait(wait)
        return job

    def _run(self, job: Job, work: Work) -> None:
        started = time.monotonic()
        try:
            job.result = work(job.progress)
            job.status = "done"
        except Exception as exc:
            body, status = describe(exc)
            if status >= 500 and status not in (502, 503):
                logger.exception("The %s job for %r failed", job.kind, job.environment)
            else:
                logger.warning("The %s job for %r failed: %s", job.kind, job.environment, exc)
            job.error = body["error"]
            job.status = "failed"
        finally:
            job.finished_at = utc_now()
            job.finished.set()
            logger.info("%s job for %r: %s in %.1f s", job.kind, job.environment, job.status,
                        time.monotonic() - started)

    def _forget_old(self) -> None:
        finished = [jid for jid in self._order if self._jobs[jid].status != "running"]
        for jid in finished[: max(0, len(self._order) - self.keep)]:
            self._order.remove(jid)
            del self._jobs[jid]
