"""The run task request HCP Terraform sends, and its signature (pure).

Rules from HashiCorp's run task integration API:
https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration
(HashiCorp's Go scaffold, hashicorp/terraform-run-task-scaffolding-go, reads it the same way):

- the body is JSON with ``payload_version`` 1 (the only version there is);
- ``X-TFC-Task-Signature`` is the hex HMAC-SHA512 of the raw body with the task's HMAC key
  (empty when the task has no key); it is compared in constant time;
- when a task is created HCP Terraform sends a verification request that must get 200: its
  ``access_token`` is ``test-token`` (the scaffold's test), and some SDK examples send no body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

INTEGRATION_DOCS = "https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration"
PAYLOAD_VERSION = 1
SIGNATURE_HEADER = "X-TFC-Task-Signature"
#: The access token of the verification request HCP Terraform sends when a task is created.
VERIFICATION_TOKEN = "test-token"


class Stage(str, Enum):
    """The run stages a task can be attached to (the request's ``stage``)."""

    PRE_PLAN = "pre_plan"
    POST_PLAN = "post_plan"
    PRE_APPLY = "pre_apply"
    POST_APPLY = "post_apply"


class PayloadError(ValueError):
    """A body that is not a run task request: the message names the field, its value and the rule."""


@dataclass(frozen=True)
class TaskRequest:
    """The fields of a run task request the run task uses (the others are ignored)."""

    task_result_id: str
    stage: Stage
    run_id: str
    task_result_callback_url: str
    #: Only for the callback, the plan and the configuration; never logged, never shown.
    access_token: str = field(repr=False)
    plan_json_api_url: str | None = None
    configuration_version_download_url: str | None = None
    run_app_url: str | None = None
    organization_name: str | None = None
    workspace_name: str | None = None
    is_speculative: bool = False
    enforcement_level: str | None = None


def signature(key: bytes, body: bytes) -> str:
    """The ``X-TFC-Task-Signature`` of ``body``: hex HMAC-SHA512 with ``key``."""
    return hmac.new(key, body, hashlib.sha512).hexdigest()


def verify(key: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` with ``key`` (constant-time: no timing oracle)."""
    if not header:
        return False
    return hmac.compare_digest(signature(key, body).encode("ascii"), header.strip().lower().encode("utf-8", "replace"))


def is_verification(body: bytes) -> bool:
    """The verification request sent when a task is created: no body, or ``access_token`` ``test-token``."""
    if not body.strip():
        return True
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("access_token") == VERIFICATION_TOKEN


#: The fields every request has, as strings (the API's "Common Properties").
_REQUIRED_TEXT = ("task_result_id", "run_id", "task_result_callback_url", "access_token")


def parse(body: bytes) -> TaskRequest:
    """The request in ``body``, checked (:class:`PayloadError` naming the field and the rule)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PayloadError(f"the body is not JSON ({error}): a run task request is a JSON object ({INTEGRATION_DOCS})") from None
    if not isinstance(document, dict):
        raise PayloadError(f"the body is JSON {type(document).__name__}, not an object: a run task request is a JSON object")
    version = document.get("payload_version")
    if isinstance(version, bool) or version != PAYLOAD_VERSION:
        raise PayloadError(f"payload_version is {_shown(version)}: only payload_version {PAYLOAD_VERSION} is understood ({INTEGRATION_DOCS})")
    for name in _REQUIRED_TEXT:
        value = document.get(name)
        if not isinstance(value, str) or not value:
            shown = "(hidden)" if name == "access_token" and value is not None else _shown(value)
            raise PayloadError(f"{name} is {shown}: a run task request must have it as a non-empty string")
    stage_text = document.get("stage")
    try:
        stage = Stage(stage_text)
    except ValueError:
        stages = ", ".join(s.value for s in Stage)
        raise PayloadError(f"stage is {_shown(stage_text)}: it must be one of {stages}") from None
    plan_url = _optional_text(document, "plan_json_api_url")
    if stage is not Stage.PRE_PLAN and plan_url is None:
        # Every stage but pre_plan carries the plan's URL (the API's "Post-Plan, Pre-Apply" properties).
        raise PayloadError(f"plan_json_api_url is missing: a {stage.value} request must have it as a non-empty string")
    speculative = document.get("is_speculative", False)
    return TaskRequest(
        task_result_id=document["task_result_id"],
        stage=stage,
        run_id=document["run_id"],
        task_result_callback_url=document["task_result_callback_url"],
        access_token=document["access_token"],
        plan_json_api_url=plan_url,
        configuration_version_download_url=_optional_text(document, "configuration_version_download_url"),
        run_app_url=_optional_text(document, "run_app_url"),
        organization_name=_optional_text(document, "organization_name"),
        workspace_name=_optional_text(document, "workspace_name"),
        is_speculative=speculative if isinstance(speculative, bool) else False,
        enforcement_level=_optional_text(document, "task_result_enforcement_level"),
    )


def _optional_text(document: dict[str, Any], name: str) -> str | None:
    """A nullable string field: None when absent, null or empty; any other type is refused."""
    value = document.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{name} is {_shown(value)}: it must be a string or null")
    return value


def _shown(value: Any) -> str:
    if value is None:
        return "missing"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
