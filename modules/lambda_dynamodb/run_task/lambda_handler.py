"""The run task on AWS Lambda: a function URL front end and the same function's SQS worker.

Function URL (payload format 2.0: ``body``, ``isBase64Encoded``, lower-cased ``headers``,
https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html): the request is decided by
:func:`lambda_dynamodb.run_task.intake.accept` with the DynamoDB store (the claim), a new one is
sent to the queue (``LAMBDA_DYNAMODB_RUN_TASK_QUEUE_URL``), and the answer goes back at once:
HCP Terraform wants its 200 promptly, and a function URL invocation cannot outlive its answer.
The URL is public (authorization NONE): HCP Terraform calls it without AWS credentials, so the
HMAC signature is the authentication.

SQS (the function's own queue trigger: ``Records`` with eventSource ``aws:sqs``): each message
is re-parsed and its URLs re-checked (:func:`~lambda_dynamodb.run_task.intake.admit`), not
re-verified (it was, before it was queued, and the queue is private), then reviewed by
:func:`lambda_dynamodb.run_task.worker.process`. A failure is reported to HCP Terraform by the
worker, never raised: a raised error would make SQS deliver the message again.

The HMAC key is the SecretString of ``LAMBDA_DYNAMODB_RUN_TASK_HMAC_SECRET_ARN`` (GetSecretValue,
once per cold start), else ``LAMBDA_DYNAMODB_RUN_TASK_HMAC_KEY``. boto3 comes with Lambda's
runtime and is imported on first use.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import time
from functools import cache
from typing import Any

from lambda_dynamodb.run_task import protocol, worker
from lambda_dynamodb.run_task.addresses import AddressError
from lambda_dynamodb.run_task.intake import Answer, accept, admit
from lambda_dynamodb.run_task.protocol import PayloadError
from lambda_dynamodb.run_task.settings import ENV_HMAC_SECRET_ARN, ENV_QUEUE_URL, RunTaskSettings, SettingsError, from_environment
from lambda_dynamodb.run_task.store import DynamoDBStore

SIGNATURE_HEADER = protocol.SIGNATURE_HEADER.lower()  # function URL events lower-case header names
SQS_SOURCE = "aws:sqs"


def handle(event: Any, context: Any) -> dict[str, Any]:
    """A function URL request, or a batch of queued requests."""
    records = event.get("Records") if isinstance(event, dict) else None
    if isinstance(records, list) and records and all(isinstance(r, dict) and r.get("eventSource") == SQS_SOURCE for r in records):
        for record in records:
            _work(record)
        return {"batchItemFailures": []}
    return _front(event if isinstance(event, dict) else {})


@cache
def settings() -> RunTaskSettings:
    """Read once per cold start (the key's secret included)."""
    return from_environment(os.environ, hmac_key=_secret_key())


def _secret_key() -> bytes | None:
    if not os.environ.get(ENV_HMAC_SECRET_ARN):
        return None
    import boto3

    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ[ENV_HMAC_SECRET_ARN])
    # A secret holds text (SecretString) or bytes (SecretBinary, which boto3 gives decoded).
    text = secret.get("SecretString") or bytes(secret.get("SecretBinary") or b"").decode("utf-8")
    return text.strip().encode("utf-8") or None


def _front(event: dict[str, Any]) -> dict[str, Any]:
    received_at = time.time()
    http = (event.get("requestContext") or {}).get("http") or {}
    method, path = http.get("method", "POST"), event.get("rawPath", "/")
    if method == "GET":
        return _response(Answer(200, "ok") if path == "/healthz" else Answer(404, "not found: POST a run task request, or GET /healthz"), method, path)
    if method != "POST":
        return _response(Answer(405, f"method {method} is not allowed: POST a run task request"), method, path)
    try:
        body = _body(event)
    except (binascii.Error, ValueError):
        return _response(Answer(400, "the body is not valid base64 although isBase64Encoded is true"), method, path)
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        current = settings()
    except SettingsError as error:  # the function's configuration: say so, to the caller and the log
        return _response(Answer(500, f"the run task is misconfigured: {error}"), method, path)
    answer = accept(body, headers.get(SIGNATURE_HEADER), current, DynamoDBStore())
    request = answer.request
    if request is None:
        return _response(answer, method, path)
    try:
        _enqueue(body, current.hmac_key is not None, received_at)
    except Exception as error:  # the claim is released so that HCP Terraform's retry is accepted
        DynamoDBStore().release(request.task_result_id)
        _log(f"task_result_id={request.task_result_id} not queued: {type(error).__name__}")
        return _response(Answer(503, "the request could not be queued: retry"), method, path)
    _log(f"task_result_id={request.task_result_id} run_id={request.run_id} accepted")
    return _response(answer, method, path)


def _body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body, validate=True)
    return body.encode("utf-8")


def _enqueue(body: bytes, signature_checked: bool, received_at: float) -> None:
    import boto3

    message = {"body": base64.b64encode(body).decode("ascii"), "signature_checked": signature_checked, "received_at": received_at}
    boto3.client("sqs").send_message(QueueUrl=os.environ[ENV_QUEUE_URL], MessageBody=json.dumps(message))


def _work(record: dict[str, Any]) -> None:
    current = settings()
    try:
        message = json.loads(record.get("body") or "")
        body = base64.b64decode(message["body"], validate=True)
        received_at = float(message.get("received_at") or time.time())
        checked = message.get("signature_checked") is True
    except (ValueError, KeyError, TypeError, binascii.Error):
        _log(f"queued message {record.get('messageId')} is not a run task request: dropped")
        return
    if current.hmac_key is not None and not checked:
        # Only the front end queues requests, and it checks signatures whenever a key is set.
        _log(f"queued message {record.get('messageId')} was not signature-checked although a key is set: dropped")
        return
    try:
        request = admit(body, current)
    except (PayloadError, AddressError) as error:
        _log(f"queued message {record.get('messageId')} refused: {error}")
        return
    store = DynamoDBStore()
    if not store.start(request.task_result_id):
        _log(f"task_result_id={request.task_result_id} delivered again: already reviewed or being reviewed, skipped")
        return
    try:
        worker.process(request, current, store, received_at=received_at)
    except Exception as error:  # the worker reports what it can; raising would only make SQS deliver it again
        _log(f"task_result_id={request.task_result_id} worker stopped: {type(error).__name__}")


def _response(answer: Answer, method: str, path: str) -> dict[str, Any]:
    if answer.request is None:
        _log(f"{method} {path} {answer.status} {answer.text}")
    return {"statusCode": answer.status, "headers": {"content-type": "text/plain; charset=utf-8"}, "body": answer.text + "\n"}


def _log(text: str) -> None:
    print(f"run-task {text}", file=sys.stderr, flush=True)
