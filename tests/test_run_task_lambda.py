"""The run task example's AWS stack, deployed to the emulator, its function run from its deployed zip.

The stack (examples/run-task, synthesized by its ``python main.py``) is planned and then applied
by Terraform to an emulator of its own, its ``tfc_address`` the HCP Terraform double's
(tests/hcp_terraform_double/). The plan Terraform made is the plan the double serves, and the
synthesized stack folder its configuration version. The function's deployed code then runs from
its zip with its deployed policy enforced (as the smoke test runs functions): first on the
function URL event of the double's signed request (the intake half), then on the SQS event of
the message that put on the queue (the worker half), which PATCHes the double.

moto emulates an event source mapping by invoking the function in Docker (absent here) at each
message, and drops the message when that fails: the queue's mapping is applied last, after the
runs (as tests/test_orders_service.py does).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambda_dynamodb.testing.enforcer import Enforcer, assumed_role_principal
from lambda_dynamodb.testing.poller import queue_event, read_queue
from lambda_dynamodb.testing.smoke import DeployedFunction, environment, run_handler, verify_deployed

from conftest import Deployment, deployed
from hcp_terraform_double import USER_AGENT, Callback, HcpTerraformDouble, Run, run_task_server, sign

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

FUNCTION = "lambda-dynamodb-run-task"
TABLE = "lambda-dynamodb-run-task-results"
KEY = "run-task-lambda-test-key"
REGION, ACCOUNT = "eu-west-1", "123456789012"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:lambda-dynamodb-run-task"
REVIEW_SECONDS = 60


@dataclass(frozen=True)
class Service:
    deployment: Deployment
    synthesized: Path
    plan: dict[str, Any]
    function: DeployedFunction
    outputs: dict[str, str]


@pytest.fixture(scope="module")
def double() -> Iterator[HcpTerraformDouble]:
    with HcpTerraformDouble() as tfc:
        yield tfc


@pytest.fixture(scope="module")
def synthesized(run_task_out: Path) -> Path:
    return run_task_out / "stacks" / "run-task"


@pytest.fixture(scope="module")
def service(synthesized: Path, double: HcpTerraformDouble, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Planned (the double's plan), applied but for the queue's mapping, the HMAC key put in its secret."""
    stack = json.loads((synthesized / "cdk.tf.json").read_text())
    with deployed(synthesized, tmp_path_factory.mktemp("run-task-deployed"), apply=False) as deployment:
        address = ["-var", f"tfc_address={double.address}"]
        deployment.terraform("plan", "-input=false", "-no-color", "-out=first.plan", *address)
        plan = json.loads(deployment.terraform("show", "-json", "first.plan").stdout)
        targets = [f"-target={kind}.{name}" for kind, found in stack["resource"].items() if kind != "aws_lambda_event_source_mapping" for name in found]
        deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color", *address, *targets)
        outputs = deployment.outputs()
        # As the README says: the value goes in by the API, never through Terraform.
        deployment.client("secretsmanager").put_secret_value(SecretId=outputs["secret_arn"], SecretString=KEY)
        with environment({k: v for k, v in deployment.env.items() if k.startswith("AWS_")}):
            boto3.setup_default_session()
            function = verify_deployed(FUNCTION, deployment.stack_dir, report=lambda _: None)
            yield Service(deployment, synthesized, plan, function, outputs)
        boto3.DEFAULT_SESSION = None


# --- running the deployed zip --------------------------------------------------------------

def run_from_zip(function: DeployedFunction, events: list[Any]) -> dict[str, Any]:
    """The handler on ``events``, from the deployed zip, with the deployed policy enforced (as the smoke test runs it)."""
    result = run_handler(function.package, function.config, function.policies, events)
    assert "lambda_dynamodb" in result["packaged"], result["packaged"]  # the zip's copy, not this environment's
    assert result["denials"] == [], result["denials"]
    return result


def url_event(body: bytes, signature: str) -> dict[str, Any]:
    """A function URL invocation (payload format 2.0), as Lambda passes it for HCP Terraform's POST."""
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, "x-tfc-task-signature": signature}
    http = {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "52.86.200.106", "userAgent": USER_AGENT}
    context = {"accountId": "anonymous", "domainName": "run-task.lambda-url.eu-west-1.on.aws", "http": http, "routeKey": "$default", "stage": "$default"}
    return {"version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "", "headers": headers, "requestContext": context, "body": body.decode(), "isBase64Encoded": False}


def signed_request(double: HcpTerraformDouble, run: Run) -> dict[str, Any]:
    body = json.dumps(double.payload(run)).encode()
    return url_event(body, sign(KEY, body))


def poller(service: Service) -> Any:
    """An SQS client as Lambda's poller: the function's role, its deployed policy enforced."""
    env = service.deployment.env
    session = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=REGION)
    Enforcer(service.function.policies, assumed_role_principal(service.function.config["Role"], FUNCTION), ACCOUNT).install(session)
    return session.client("sqs", endpoint_url=env["AWS_ENDPOINT_URL"])


def calls(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["action"], c["resource"]) for c in result["calls"]}


def result_item(service: Service, task_result_id: str) -> dict[str, Any]:
    key = {"task_result_id": {"S": task_result_id}}
    return dict(service.deployment.client("dynamodb").get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item", {}))


# --- the intake half: the function URL event -------------------------------------------------


@dataclass(frozen=True)
class Intake:
    run: Run
    result: dict[str, Any]
    messages: list[dict[str, Any]]


@pytest.fixture(scope="module")
def intake(service: Service, double: HcpTerraformDouble) -> Intake:
    run = double.add_run(service.plan, service.synthesized, not_ready=1)
    result = run_from_zip(service.function, [signed_request(double, run)])
    return Intake(run, result, read_queue(poller(service), service.outputs["queue_url"], 10))


def test_the_function_url_is_public_as_deployed(service: Service) -> None:
    url = service.deployment.client("lambda").get_function_url_config(FunctionName=FUNCTION)
    assert (url["AuthType"], url["FunctionUrl"]) == ("NONE", service.outputs["function_url"])


def test_the_signed_request_is_answered_200(intake: Intake) -> None:
    assert [answer["statusCode"] for answer in intake.result["answers"]] == [200]


def test_the_intake_reads_the_key_claims_and_queues_within_its_deployed_policy(service: Service, intake: Intake) -> None:
    secret = service.outputs["secret_arn"]
    assert calls(intake.result) == {("secretsmanager:GetSecretValue", secret), ("dynamodb:PutItem", TABLE_ARN), ("sqs:SendMessage", QUEUE_ARN)}


def test_the_request_waits_on_the_queue(intake: Intake) -> None:
    (message,) = intake.messages
    body = json.loads(base64.b64decode(json.loads(message["Body"])["body"]))
    assert body["task_result_id"] == intake.run.task_result_id


def test_the_task_result_id_is_claimed_in_the_table(service: Service, intake: Intake) -> None:
    assert result_item(service, intake.run.task_result_id)["run_id"] == {"S": intake.run.run_id}


# --- the worker half: the SQS event ------------------------------------------------------------


@dataclass(frozen=True)
class Worked:
    result: dict[str, Any]
    callbacks: list[Callback]


@pytest.fixture(scope="module")
def worked(service: Service, double: HcpTerraformDouble, intake: Intake) -> Worked:
    result = run_from_zip(service.function, [queue_event(intake.messages, QUEUE_ARN, REGION)])
    # Then Lambda's poller deletes the batch the function handled, with the function's role.
    sqs = poller(service)
    for message in intake.messages:
        sqs.delete_message(QueueUrl=service.outputs["queue_url"], ReceiptHandle=message["ReceiptHandle"])
    double.wait_for_final(intake.run.task_result_id, REVIEW_SECONDS)
    return Worked(result, double.callbacks(intake.run.task_result_id))


def test_the_worker_patches_running_then_the_result(worked: Worked) -> None:
    assert [c.status for c in worked.callbacks][0] == "running"
    assert [c.status for c in worked.callbacks][1:] in (["passed"], ["failed"])
    assert [c.violations for c in worked.callbacks] == [(), ()]


def test_the_worker_records_the_outcome_in_the_table(service: Service, intake: Intake, worked: Worked) -> None:
    assert result_item(service, intake.run.task_result_id)["status"] == {"S": worked.callbacks[-1].status}
    assert ("dynamodb:UpdateItem", TABLE_ARN) in calls(worked.result)


def test_the_lambda_posts_what_the_local_server_posts(service: Service, double: HcpTerraformDouble, intake: Intake, worked: Worked) -> None:
    with run_task_server(double.address, hmac_key=KEY, poll_interval_seconds=0.2) as task_url:
        local = double.add_run(service.plan, service.synthesized, not_ready=1)
        assert double.send_task(task_url, local, hmac_key=KEY) == 200, double.last_answer
        final = double.wait_for_final(local.task_result_id, REVIEW_SECONDS)
    text = json.dumps(final.body)
    for field in fields(Run):  # the run's ids, URLs and token are the only differences allowed
        text = text.replace(getattr(local, field.name), getattr(intake.run, field.name))
    assert json.loads(text) == worked.callbacks[-1].body


def test_the_same_task_result_id_again_is_answered_200_and_not_queued(service: Service, double: HcpTerraformDouble, intake: Intake, worked: Worked) -> None:
    result = run_from_zip(service.function, [signed_request(double, intake.run)])
    assert [answer["statusCode"] for answer in result["answers"]] == [200]
    assert not any(action == "sqs:SendMessage" for action, _ in calls(result))
    assert len(double.callbacks(intake.run.task_result_id)) == len(worked.callbacks)  # reviewed once
    attributes = service.deployment.client("sqs").get_queue_attributes(QueueUrl=service.outputs["queue_url"], AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_a_wrong_signature_is_answered_401_and_nothing_is_claimed_or_queued(service: Service, double: HcpTerraformDouble, worked: Worked) -> None:
    run = double.add_run(service.plan, service.synthesized)
    event = signed_request(double, run)
    event["headers"]["x-tfc-task-signature"] = sign("another key", event["body"].encode())
    result = run_from_zip(service.function, [event])
    assert [answer["statusCode"] for answer in result["answers"]] == [401]
    assert calls(result) == {("secretsmanager:GetSecretValue", service.outputs["secret_arn"])}
    assert result_item(service, run.task_result_id) == {} and double.requests_for(run) == []


def test_the_queue_trigger_is_applied_last(service: Service, double: HcpTerraformDouble, worked: Worked) -> None:
    service.deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color", "-var", f"tfc_address={double.address}")
    (mapping,) = service.deployment.client("lambda").list_event_source_mappings(FunctionName=FUNCTION)["EventSourceMappings"]
    assert (mapping["EventSourceArn"], mapping["BatchSize"]) == (QUEUE_ARN, 1)
