"""One decision for both front ends (the local server and the Lambda function URL): what to answer.

In this order, each a rule of HashiCorp's integration API
(https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration):

- 401 when a key is set and ``X-TFC-Task-Signature`` is missing or wrong (nothing is read);
- 200 to the verification request sent when the task is created;
- 400 for a body that is not a run task request, or whose URLs are not at the configured
  address (nothing is fetched or sent: the token would go with it);
- 200 to a task_result_id already received (HCP Terraform retries): nothing more is done;
- 200 and the request, for the worker. HCP Terraform wants the 200 at once: the work is done
  after the answer (a thread locally, the queue on Lambda).
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_dynamodb.run_task import protocol
from lambda_dynamodb.run_task.addresses import AddressError, check_token_urls
from lambda_dynamodb.run_task.protocol import PayloadError, TaskRequest
from lambda_dynamodb.run_task.settings import RunTaskSettings
from lambda_dynamodb.run_task.store import TaskStore


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    #: The request to work on (200 and new), else None.
    request: TaskRequest | None = None


def accept(body: bytes, signature_header: str | None, settings: RunTaskSettings, store: TaskStore) -> Answer:
    """The answer to a POST of ``body``; a new request is claimed in ``store``."""
    if settings.hmac_key is not None:
        if not signature_header:
            return Answer(401, f"{protocol.SIGNATURE_HEADER} is missing: this run task has an HMAC key, every request must be signed with it")
        if not protocol.verify(settings.hmac_key, body, signature_header):
            return Answer(401, f"{protocol.SIGNATURE_HEADER} does not match the body: it must be the hex HMAC-SHA512 of the body with the task's HMAC key")
    if protocol.is_verification(body):
        return Answer(200, "verified: the run task is reachable")
    try:
        request = admit(body, settings)
    except (PayloadError, AddressError) as error:
        return Answer(400, str(error))
    if not store.claim(request):
        return Answer(200, f"task result {request.task_result_id} was already received: nothing more is done")
    return Answer(200, "accepted", request)


def admit(body: bytes, settings: RunTaskSettings) -> TaskRequest:
    """The request in ``body`` if the run task may work on it (its signature already checked).

    The Lambda's queue consumer calls this again on what the front end queued: the signature is
    not checked twice (the queue is private), the payload's rules are.
    """
    request = protocol.parse(body)
    check_token_urls(
        {
            "task_result_callback_url": request.task_result_callback_url,
            "plan_json_api_url": request.plan_json_api_url,
            "configuration_version_download_url": request.configuration_version_download_url,
        },
        settings.tfc_address,
    )
    return request
