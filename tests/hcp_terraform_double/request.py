"""What HCP Terraform sends a run task: the request (every field the integration API documents,
payload_version 1), its headers and signature, and the verification request of a new task.

https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration
("Run Task Request": the body, the sample payload, the request headers).
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from typing import Any

from .records import Run

USER_AGENT = "TFC/1.0 (+https://app.terraform.io; TFC)"
#: The access token of the request HCP Terraform sends when a task is created (the scaffold's test).
VERIFICATION_TOKEN = "test-token"


def task_payload(address: str, run: Run, *, downloadable: bool, stage: str = "post_plan", **overrides: Any) -> dict[str, Any]:
    """The request body for ``run`` from the HCP Terraform at ``address``; ``overrides`` replace fields."""
    app = f"{address}/app/example-org/orders-service"
    payload: dict[str, Any] = {
        "payload_version": 1,
        "stage": stage,
        "access_token": run.access_token,
        "capabilities": {"outcomes": True},
        "configuration_version_download_url": (
            f"{address}/api/v2/configuration-versions/{run.configuration_version_id}/download" if downloadable else None
        ),
        "configuration_version_id": run.configuration_version_id,
        "is_speculative": False,
        "organization_name": "example-org",
        "project_id": "prj-double",
        "project_name": "Default Project",
        "project_app_url": f"{address}/app/example-org/projects/prj-double",
        "run_app_url": f"{app}/runs/{run.run_id}",
        "run_created_at": "2026-12-01T12:00:00.000Z",
        "run_created_by": "reviewer",
        "run_id": run.run_id,
        "run_message": "Triggered via CLI",
        "task_result_callback_url": f"{address}/api/v2/task-results/{run.task_result_id}/callback",
        "task_result_enforcement_level": "mandatory",
        "task_result_id": run.task_result_id,
        "vcs_branch": None,
        "vcs_commit_url": None,
        "vcs_commit_hash": None,
        "vcs_pull_request_url": None,
        "vcs_repo_url": None,
        "workspace_app_url": app,
        "workspace_id": "ws-double",
        "workspace_name": "orders-service",
        "workspace_working_directory": "",
    }
    if stage != "pre_plan":  # every stage after the plan has one
        payload["plan_json_api_url"] = f"{address}/api/v2/plans/{run.plan_id}/json-output"
    payload.update(overrides)
    return payload


def sign(key: str | bytes, body: bytes) -> str:
    """X-TFC-Task-Signature: the hex HMAC-SHA512 of the raw body with the task's HMAC key."""
    return hmac.new(key.encode() if isinstance(key, str) else key, body, hashlib.sha512).hexdigest()


def post(url: str, body: bytes, hmac_key: str | bytes | None, signature: str | None) -> tuple[int, str]:
    """POST ``body`` as HCP Terraform does; ``signature`` (when given) replaces the computed one."""
    if signature is None:
        # Signed with the task's key; "Otherwise, this is an empty string" (the integration API).
        signature = sign(hmac_key, body) if hmac_key is not None else ""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-TFC-Task-Signature": signature}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def check_request_payload(payload: dict[str, Any]) -> None:
    """The double's own request, read by pytfe's RunTaskRequest (HashiCorp's SDK): the double sends what HCP Terraform does."""
    from pytfe.models import RunTaskRequest

    RunTaskRequest.model_validate(payload)
