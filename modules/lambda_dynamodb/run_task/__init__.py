"""The plan review as an HCP Terraform run task: a local server and a Lambda handler, one code path.

HCP Terraform POSTs a signed request at post_plan; the task answers 200 at once, then fetches the
plan JSON and the configuration version, reviews the plan with the same code as
``lambda-dynamodb review`` (:func:`lambda_dynamodb.review.model.plan_review`) and PATCHes
``running`` and then ``passed``/``failed`` with outcomes to the run's callback. The protocol:
https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration
(and https://developer.hashicorp.com/terraform/cloud-docs/integrations/run-tasks,
https://developer.hashicorp.com/terraform/cloud-docs/workspaces/settings/run-tasks).

Front ends
    ``lambda-dynamodb run-task serve [--host 127.0.0.1] [--port N] [--tfc-address URL]``
        (:mod:`.server`): prints ``listening on http://HOST:PORT`` on stdout once it accepts.
    Lambda handler ``lambda_dynamodb.run_task.handler`` (:mod:`.lambda_handler`): a function URL
        event (payload format 2.0) is decided, claimed in the table and sent to the queue, and
        answered 200 at once; the same function's SQS trigger (event ``Records`` with eventSource
        ``aws:sqs``) runs the worker. Code folder: :func:`lambda_dynamodb.run_task.bundle.write_code`.

Environment (names in :mod:`.settings`)
    LAMBDA_DYNAMODB_RUN_TASK_HMAC_KEY           the HMAC key itself (local server; unset: unsigned requests accepted)
    LAMBDA_DYNAMODB_RUN_TASK_HMAC_SECRET_ARN    Lambda: the key is this secret's SecretString (GetSecretValue, once per cold start)
    LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS        where the token and results may go (default https://app.terraform.io)
    LAMBDA_DYNAMODB_RUN_TASK_TABLE              Lambda: the table recording each task_result_id (partition key task_result_id, S)
    LAMBDA_DYNAMODB_RUN_TASK_QUEUE_URL          Lambda: the SQS queue accepted requests wait in for the worker
    LAMBDA_DYNAMODB_RUN_TASK_PLAN_WAIT_SECONDS  how long to wait for the plan JSON after the request (default 600)
    LAMBDA_DYNAMODB_RUN_TASK_POLL_SECONDS       how long between two tries while the plan is not ready (default 5)

Modules (one concern each)
    protocol    TaskRequest, Stage, parse(body), signature(key, body), verify(key, body, header), is_verification(body)
    addresses   Address.parse(text) / .owns(url) / .origin, check_token_urls(urls, address), redirect_target(location, base)
    settings    RunTaskSettings(tfc_address, hmac_key, plan_wait_seconds, poll_interval_seconds), from_environment(environ, ...)
    intake      accept(body, signature_header, settings, store) -> Answer(status, text, request); admit(body, settings)
    client      TfcClient(address, token): plan_json(url, deadline=, poll_interval=), get(url, limit), patch(url, document)
    archive     manifest_folder(tar_gz_bytes, dest) -> Path | None (only lambda-dynamodb.permissions.json is read)
    callback    TaskResult, Outcome, Tag, Status, the limits, cut(), document(result) -> the PATCH body
    outcomes    review_result(review, url=, notes=) -> TaskResult; running(), passed(), failure()
    store       MemoryStore, DynamoDBStore() (claim / release / start / finish; table from LAMBDA_DYNAMODB_RUN_TASK_TABLE), Finished
    worker      process(request, settings, store, received_at=) -> TaskResult
    server      make_server(host, port, settings, store=None) -> RunTaskServer (.url, .serve_forever())
    lambda_handler  handle(event, context)
    bundle      write_code(dest) -> Path; closure(), import_chain(module); HANDLER = "lambda_dynamodb.run_task.handler"

Only the standard library, boto3 (imported on first use, in the Lambda-only parts: it comes
with Lambda's runtime) and this library's review, iam, synthesis manifest and config modules
are imported: never cdktf, jsii, constructs, the code analysis's users or the testing plugin.
Importing this package imports nothing else of it (and ``import lambda_dynamodb`` stays quiet
where the AWS provider bindings are not installed at all, as in the Lambda zip).
"""

from __future__ import annotations

from typing import Any


def handler(event: Any, context: Any) -> Any:
    """The Lambda handler (``lambda_dynamodb.run_task.handler``): see :mod:`.lambda_handler`."""
    from lambda_dynamodb.run_task import lambda_handler

    return lambda_handler.handle(event, context)
