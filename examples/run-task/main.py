"""The run task as a service: HCP Terraform's run task, reviewing each plan, on AWS Lambda.

    HCP Terraform --POST (signed)--> function URL --> lambda-dynamodb-run-task (intake half)
        -> claims the task_result_id in the results table, queues the request, answers 200
    run-task queue (SQS) --> lambda-dynamodb-run-task (worker half)
        -> reads the plan and the configuration, reviews them, PATCHes the results back

Two stacks:

- ``run-task`` (AWS): the function, its function URL, the queue (and its dead-letter queue),
  the results table and the secret holding the HMAC key. Deployed like any stack (and to the
  emulator in this repository's tests).
- ``run-task-registration`` (tfe): the run task in an HCP Terraform organization and its
  attachment to one workspace (post_plan, mandatory or advisory). The ``tfe`` provider is not
  in this machine's offline mirror: this stack synthesizes here but is applied only where the
  provider can be installed (see README.md).

``python main.py`` (or ``cdktf synth``) writes ``cdktf.out/stacks/<stack>``; importing this file
synthesizes nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STACK_NAME = "run-task"
REGISTRATION_STACK_NAME = "run-task-registration"
FUNCTION_NAME = "lambda-dynamodb-run-task"
TABLE_NAME = "lambda-dynamodb-run-task-results"
QUEUE_NAME = "lambda-dynamodb-run-task"
SECRET_NAME = "lambda-dynamodb-run-task-hmac-key"
PROJECT_DIR = Path(__file__).resolve().parent
#: Where the run task's Lambda code is written at each synthesis, beside the output folder
#: (build/lambda here: generated, gitignored); a test's output elsewhere gets its own.
CODE_FOLDER = Path("build") / "lambda"
#: The local backend's state files, beside cdktf.out/ (relative to <outdir>/stacks/<stack>).
STATE_PATH = f"../../../terraform.{STACK_NAME}.tfstate"
REGISTRATION_STATE_PATH = f"../../../terraform.{REGISTRATION_STACK_NAME}.tfstate"
#: HCP Terraform waits 10 minutes for a task's update (and 60 in all): the worker may wait that
#: long for the plan JSON (204 until ready), then reviews it. Lambda's maximum is 900 s.
FUNCTION_TIMEOUT_SECONDS = 900
#: At least the function's timeout (the module's rule, and Lambda's). Not AWS's usual six
#: times: a message retried after HCP Terraform's 60-minute window would be reviewed in vain.
QUEUE_VISIBILITY_SECONDS = FUNCTION_TIMEOUT_SECONDS + 60
#: One retry still fits in the 60 minutes; then the request waits in the dead-letter queue.
MAX_RECEIVE_COUNT = 2
#: The workspace setting's two levels (https://developer.hashicorp.com/terraform/cloud-docs/workspaces/settings/run-tasks).
LEVEL_RULE = "enforcement_level must be mandatory (a failed review stops the run) or advisory (it only warns)."


def region() -> str:
    """The ``region`` of cdktf.json's context."""
    return str(json.loads((PROJECT_DIR / "cdktf.json").read_text())["context"]["region"])


def write_code(outdir: Path) -> Path:
    """The run task's Lambda code folder (only the library's modules the handler imports)."""
    from lambda_dynamodb.run_task.bundle import write_code as write

    return write(Path(outdir).absolute().parent / CODE_FOLDER)


def build_app(outdir: Path) -> Any:
    """An App holding both stacks; CDKTF and the providers load here, not at import."""
    # lambda_dynamodb first (write_code imports it): it makes the AWS provider load lazily.
    code = write_code(outdir)
    from cdktf import App

    app = App(outdir=str(outdir))
    url = build_service(app, code)
    build_registration(app, url)
    return app


def build_service(app: Any, code: Path) -> str:
    """The ``run-task`` stack; returns the function URL (a reference for the registration)."""
    from lambda_dynamodb import Access, Attribute, Function, FunctionSettings, FunctionUrl, FunctionUrlAuth, QueueTrigger, Statement, Table, TableSettings
    from lambda_dynamodb.iam.policy import Arn
    from cdktf import Fn, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
    # The handler and its variables' names, as the run task defines them.
    from lambda_dynamodb.run_task.bundle import HANDLER
    from lambda_dynamodb.run_task.settings import DEFAULT_TFC_ADDRESS, ENV_HMAC_SECRET_ARN, ENV_QUEUE_URL, ENV_TABLE, ENV_TFC_ADDRESS

    stack = TerraformStack(app, STACK_NAME)
    # Region only: endpoints and credentials come from the environment (AWS or the emulator).
    AwsProvider(stack, "aws", region=region())
    LocalBackend(stack, path=STATE_PATH)
    address = TerraformVariable(
        stack, "tfc_address", type="string", default=DEFAULT_TFC_ADDRESS,
        description="HCP Terraform's (or Terraform Enterprise's) address: the only place the task sends tokens and results",
    )
    # The HMAC key's value is put with `aws secretsmanager put-secret-value` (README): no secret
    # version here, so the key never enters the Terraform state.
    secret = SecretsmanagerSecret(stack, "hmac_key", name=SECRET_NAME, description="HMAC key of the HCP Terraform run task")
    # One item per task_result_id: claimed when a request arrives (each is reviewed once), then
    # the outcome (history).
    results = Table(
        stack, "results",
        TableSettings(name=TABLE_NAME, partition_key="task_result_id", sort_key=None, attributes=(Attribute("task_result_id"),)),
    )
    dead_letters = SqsQueue(
        stack, "dead_letters", name=f"{QUEUE_NAME}-dead-letters", message_retention_seconds=14 * 24 * 3600, sqs_managed_sse_enabled=True
    )
    queue = SqsQueue(
        stack, "queue", name=QUEUE_NAME, visibility_timeout_seconds=QUEUE_VISIBILITY_SECONDS, sqs_managed_sse_enabled=True,
        redrive_policy=Fn.jsonencode({"deadLetterTargetArn": dead_letters.arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
    )
    environment = {ENV_QUEUE_URL: queue.url, ENV_HMAC_SECRET_ARN: secret.arn, ENV_TFC_ADDRESS: address.string_value}
    function = Function(
        stack, "function",
        FunctionSettings(
            name=FUNCTION_NAME, source_dir=code, handler=HANDLER,
            timeout_seconds=FUNCTION_TIMEOUT_SECONDS, memory_mb=512, environment=environment,
        ),
    )
    # The handler's own calls on the table (PutItem to claim, UpdateItem to record), read from its code.
    function.use(results, access=Access.FROM_CODE, env=ENV_TABLE)
    # The worker half: the queue's messages (the trigger grants what Lambda's poller does).
    function.add_trigger(QueueTrigger(queue_arn=queue.arn, batch_size=1, visibility_timeout_seconds=QUEUE_VISIBILITY_SECONDS))
    # The intake half queues each accepted request; the worker reads the key, once per cold start.
    function.add_statements(
        Statement(actions=("sqs:SendMessage",), resources=(Arn.of(queue.arn),)),
        Statement(actions=("secretsmanager:GetSecretValue",), resources=(Arn.of(secret.arn),)),
    )
    # No AWS_IAM here: HCP Terraform calls a run task unauthenticated (it cannot sign with SigV4).
    # The HMAC signature of each request (X-TFC-Task-Signature) is the authentication: requests
    # without the right one are answered 401 before anything is read or queued.
    url = function.add_url(FunctionUrl(auth=FunctionUrlAuth.NONE, public=True))
    TerraformOutput(stack, "function_url", value=url.url)
    TerraformOutput(stack, "secret_arn", value=secret.arn)
    TerraformOutput(stack, "queue_url", value=queue.url)
    TerraformOutput(stack, "results_table", value=results.name)
    return url.url


def build_registration(app: Any, url: str) -> Any:
    """The ``run-task-registration`` stack: the task in the organization, attached to one workspace."""
    from cdktf import LocalBackend, TerraformStack, TerraformVariable, TerraformVariableValidationConfig
    from cdktf_cdktf_provider_tfe.data_tfe_workspace import DataTfeWorkspace
    from cdktf_cdktf_provider_tfe.organization_run_task import OrganizationRunTask
    from cdktf_cdktf_provider_tfe.provider import TfeProvider
    from cdktf_cdktf_provider_tfe.workspace_run_task import WorkspaceRunTask

    stack = TerraformStack(app, REGISTRATION_STACK_NAME)
    # The token comes from TFE_TOKEN or `terraform login`, never from this stack.
    TfeProvider(stack, "tfe")
    LocalBackend(stack, path=REGISTRATION_STATE_PATH)
    organization = TerraformVariable(stack, "organization", type="string", description="the HCP Terraform organization")
    workspace = TerraformVariable(stack, "workspace", type="string", description="the workspace whose plans the task reviews")
    hmac_key = TerraformVariable(
        stack, "hmac_key", type="string", sensitive=True,
        description="the HMAC key HCP Terraform signs requests with: the value put in the run-task stack's secret",
    )
    level = TerraformVariable(
        stack, "enforcement_level", type="string", default="mandatory",
        description="mandatory: a failed review stops the run; advisory: it only warns",
        validation=[TerraformVariableValidationConfig(condition='contains(["mandatory", "advisory"], var.enforcement_level)', error_message=LEVEL_RULE)],
    )
    task = OrganizationRunTask(
        stack, "run_task", name="lambda-dynamodb-review", organization=organization.string_value, url=url,
        hmac_key=hmac_key.string_value, enabled=True, category="task",
        description="Reviews each plan: replacements and deletions, IAM changes, least privilege (cdktf-lambda-dynamodb)",
    )
    target = DataTfeWorkspace(stack, "workspace_of_the_task", name=workspace.string_value, organization=organization.string_value)
    # post_plan: the plan JSON exists from this stage on (plan_json_api_url).
    WorkspaceRunTask(stack, "workspace_run_task", workspace_id=target.id, task_id=task.id, stage="post_plan", enforcement_level=level.string_value)
    return stack


def main() -> int:
    from lambda_dynamodb.synthesis.app import synth_app

    return synth_app(build_app, PROJECT_DIR / "cdktf.out")


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    sys.exit(main())
