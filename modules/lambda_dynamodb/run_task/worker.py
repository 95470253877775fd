"""The review of one accepted request, reported to HCP Terraform's callback (both front ends).

``running`` first (HCP Terraform gives a task 10 minutes between updates), then the plan JSON
(204 retried until the wait from receipt runs out), the permissions manifest from the
configuration version, the review (the same :func:`~lambda_dynamodb.review.model.plan_review`
as ``lambda-dynamodb review``), and ``passed``/``failed`` with its outcomes. Anything that goes
wrong is reported as ``failed`` with what went wrong in one line: never a traceback (it could
quote plan values) and never the token. Only post_plan has a plan to review: any other stage
is answered ``passed`` saying so.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from lambda_dynamodb.review.model import plan_review
from lambda_dynamodb.review.plan_file import PlanFileError, check_plan
from lambda_dynamodb.run_task import callback, outcomes
from lambda_dynamodb.run_task.archive import ArchiveError, manifest_folder
from lambda_dynamodb.run_task.callback import TaskResult
from lambda_dynamodb.run_task.client import ARCHIVE_LIMIT_BYTES, FetchError, PlanNotReady, TfcClient
from lambda_dynamodb.run_task.protocol import Stage, TaskRequest
from lambda_dynamodb.run_task.settings import RunTaskSettings
from lambda_dynamodb.run_task.store import Finished, TaskStore

ClientFactory = Callable[[RunTaskSettings, TaskRequest], TfcClient]
#: The plan's (add, change, destroy), recorded in the store.
Counted = tuple[int, int, int]
NOTHING: Counted = (0, 0, 0)


def _client(settings: RunTaskSettings, request: TaskRequest) -> TfcClient:
    return TfcClient(settings.tfc_address, request.access_token)


def process(request: TaskRequest, settings: RunTaskSettings, store: TaskStore, *, received_at: float | None = None,
            client_factory: ClientFactory = _client, log: TextIO | None = None) -> TaskResult:
    """Review ``request``'s plan and PATCH the result; ``received_at`` (epoch seconds) starts the plan wait."""
    log = log or sys.stderr
    started = time.time() if received_at is None else received_at
    client = client_factory(settings, request)
    url = request.run_app_url
    try:
        client.patch(request.task_result_callback_url, callback.document(outcomes.running(url)))
    except FetchError as error:
        _log(log, request, f"running not reported: {error}")
    counts = NOTHING
    try:
        result, counts = _review(request, settings, client, started)
    except Exception as error:  # every failure becomes a `failed` result, not a silent stop
        result = outcomes.failure(f"The run task could not review this plan: {_reason(error)}", url)
    try:
        client.patch(request.task_result_callback_url, callback.document(result))
    except FetchError as error:
        _log(log, request, f"result {result.status.value} not reported: {error}")
    else:
        _log(log, request, f"reported {result.status.value}")
    store.finish(request.task_result_id, Finished(result.status.value, callback.cut(result.message, callback.MESSAGE_LIMIT, "message"), *counts))
    return result


def _review(request: TaskRequest, settings: RunTaskSettings, client: TfcClient, started: float) -> tuple[TaskResult, Counted]:
    """The final result, and the plan's (add, change, destroy) counts for the store."""
    url = request.run_app_url
    if request.stage is not Stage.POST_PLAN:
        return outcomes.passed(f"Nothing to review at stage {request.stage.value}: this run task reviews post_plan only (attach it at post_plan).", url), NOTHING
    assert request.plan_json_api_url is not None  # protocol.parse requires it for post_plan
    try:
        plan = client.plan_json(request.plan_json_api_url, deadline=started + settings.plan_wait_seconds,
                                poll_interval=settings.poll_interval_seconds)
    except PlanNotReady:
        return outcomes.failure(f"The plan JSON was not ready within {settings.plan_wait_seconds:g} seconds of the request: run the task again.", url), NOTHING
    try:
        check_plan(plan, "plan_json_api_url")
    except PlanFileError as error:
        return outcomes.failure(f"The plan JSON cannot be reviewed: {error}", url), NOTHING
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="run-task-") as scratch:
        stack_dir = _manifest(request, client, Path(scratch) / "stack", notes)
        review = plan_review(plan, stack_dir=stack_dir, untitled=request.workspace_name or "plan")
    total = review.counts
    return outcomes.review_result(review, url=url, notes=notes), (total.add, total.change, total.destroy)


def _manifest(request: TaskRequest, client: TfcClient, dest: Path, notes: list[str]) -> Path | None:
    """The folder holding the configuration's permissions manifest, or None (with a note why)."""
    if request.configuration_version_download_url is None:
        notes.append("The request has no configuration version: the review has no permissions manifest.")
        return None
    try:
        _, archive = client.get(request.configuration_version_download_url, ARCHIVE_LIMIT_BYTES)
        folder = manifest_folder(archive, dest)
    except (FetchError, ArchiveError) as error:
        notes.append(f"The configuration version gave no permissions manifest: {error}")
        return None
    if folder is None:
        notes.append("The configuration version has no lambda-dynamodb.permissions.json: it is not a stack of cdktf-lambda-dynamodb, or was synthesized by an older version.")
    return folder


def _reason(error: Exception) -> str:
    """What went wrong, in words; for an unexpected error, only its type and where (its text could quote plan values)."""
    if isinstance(error, (FetchError, ArchiveError, PlanFileError)):
        return str(error)
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {Path(frame.tb_frame.f_code.co_filename).name}:{frame.tb_lineno}" if frame is not None else ""
    return f"an unexpected {type(error).__name__}{where}; see the run task's log"


def _log(log: TextIO, request: TaskRequest, text: str) -> None:
    print(f"run-task task_result_id={request.task_result_id} run_id={request.run_id}: {text}", file=log, flush=True)
