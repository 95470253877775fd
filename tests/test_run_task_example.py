"""The run task example (examples/run-task): its two stacks as synthesized, and how the IAM
enforcer checks a Secrets Manager call (on the secret's full ARN, as IAM does).

Synthesized once by ``python main.py`` (as the cdktf CLI runs it). The registration stack uses
the ``tfe`` provider, which is not in this machine's offline mirror: it is checked here as JSON
only, never initialized (the AWS stack is deployed in tests/test_run_task_lambda.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_dynamodb.iam.dynamodb_operations import ArnBase, secret_permission
from lambda_dynamodb.testing.enforcer import Enforcer, Policies


REGION, ACCOUNT = "eu-west-1", "123456789012"
SECRET_REF = "${aws_secretsmanager_secret.hmac_key.arn}"
QUEUE_REF = "${aws_sqs_queue.queue.arn}"
ARNS = ArnBase("aws", REGION, ACCOUNT)
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:lambda-dynamodb-run-task-hmac-key-AbC123"


@pytest.fixture(scope="module")
def out(run_task_out: Path) -> Path:
    return run_task_out


def stack_json(out: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((out / "stacks" / name / "cdk.tf.json").read_text()))


@pytest.fixture(scope="module")
def service(out: Path) -> dict[str, Any]:
    return stack_json(out, "run-task")


@pytest.fixture(scope="module")
def registration(out: Path) -> dict[str, Any]:
    return stack_json(out, "run-task-registration")


@pytest.fixture(scope="module")
def statements(service: dict[str, Any]) -> list[dict[str, Any]]:
    """The function's policy statements (its aws_iam_policy_document, as synthesized)."""
    documents = service["data"]["aws_iam_policy_document"].values()
    (document,) = [d for d in documents if d["//"]["metadata"]["path"] == "run-task/function/role/permissions"]
    return list(document["statement"])


def granted(statements: list[dict[str, Any]], action: str) -> list[list[str]]:
    return [s["resources"] for s in statements if action in s["actions"] and s.get("effect", "Allow") == "Allow"]


def test_one_function_serves_the_run_task_behind_a_public_url(service: dict[str, Any]) -> None:
    (function,) = service["resource"]["aws_lambda_function"].values()
    # The package's documented handler, defined in lambda_dynamodb/run_task/__init__.py.
    assert (function["function_name"], function["handler"]) == ("lambda-dynamodb-run-task", "lambda_dynamodb.run_task.handler")
    assert 600 < function["timeout"] <= 900
    (url,) = service["resource"]["aws_lambda_function_url"].values()
    assert url["authorization_type"] == "NONE"


def test_the_function_gets_the_table_queue_secret_and_address_from_its_environment(service: dict[str, Any]) -> None:
    (function,) = service["resource"]["aws_lambda_function"].values()
    variables = function["environment"]["variables"]
    assert variables["LAMBDA_DYNAMODB_RUN_TASK_HMAC_SECRET_ARN"] == SECRET_REF
    assert variables["LAMBDA_DYNAMODB_RUN_TASK_QUEUE_URL"] == "${aws_sqs_queue.queue.url}"
    assert variables["LAMBDA_DYNAMODB_RUN_TASK_TABLE"].startswith("${aws_dynamodb_table.results_")
    assert variables["LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS"] == "${var.tfc_address}"


def test_the_role_may_read_exactly_the_one_secret(statements: list[dict[str, Any]]) -> None:
    assert granted(statements, "secretsmanager:GetSecretValue") == [[SECRET_REF]]
    assert [a for s in statements for a in s["actions"] if a.startswith("secretsmanager:")] == ["secretsmanager:GetSecretValue"]


def test_the_role_may_send_to_its_own_queue_only(statements: list[dict[str, Any]]) -> None:
    assert granted(statements, "sqs:SendMessage") == [[QUEUE_REF]]
    assert {r for s in statements for a in s["actions"] if a.startswith("sqs:") for r in s["resources"]} == {QUEUE_REF}


def test_the_tables_actions_are_the_calls_of_the_handlers_code(statements: list[dict[str, Any]]) -> None:
    table = [s for s in statements if any(a.startswith("dynamodb:") for a in s["actions"])]
    assert sorted(a for s in table for a in s["actions"]) == ["dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert [r.rsplit(":", 1)[-1] for s in table for r in s["resources"]] == ["table/lambda-dynamodb-run-task-results"]


def test_no_statement_has_a_wildcard_action(statements: list[dict[str, Any]]) -> None:
    assert [a for s in statements for a in s["actions"] if "*" in a or "?" in a] == []


def test_the_functions_zip_holds_only_the_run_tasks_modules(out: Path) -> None:
    from lambda_dynamodb.run_task.bundle import closure

    (package,) = (out / "stacks" / "run-task" / "assets").glob("function_code_*/*/package.zip")
    with zipfile.ZipFile(package) as bundle:
        names = bundle.namelist()
    # One .py file per module of the closure; the bundle folder's marker (.lambda-dynamodb-output)
    # is the project's bookkeeping and stays out.
    assert all(name.startswith("lambda_dynamodb/") and name.endswith(".py") for name in names), names
    assert len(names) == len(closure())


def test_the_hmac_key_never_enters_the_state(service: dict[str, Any]) -> None:
    assert list(service["resource"]["aws_secretsmanager_secret"]) == ["hmac_key"]
    assert "aws_secretsmanager_secret_version" not in service["resource"]


def test_the_queue_is_encrypted_outlasts_the_timeout_and_has_a_dead_letter_queue(service: dict[str, Any]) -> None:
    (function,) = service["resource"]["aws_lambda_function"].values()
    queues = service["resource"]["aws_sqs_queue"]
    assert all(queue["sqs_managed_sse_enabled"] is True for queue in queues.values())
    assert queues["queue"]["visibility_timeout_seconds"] >= function["timeout"]
    assert "aws_sqs_queue.dead_letters.arn" in queues["queue"]["redrive_policy"]
    (mapping,) = service["resource"]["aws_lambda_event_source_mapping"].values()
    assert mapping["event_source_arn"] == QUEUE_REF


def test_the_outputs_name_the_url_and_the_secret(service: dict[str, Any]) -> None:
    assert service["output"]["secret_arn"]["value"] == SECRET_REF
    assert service["output"]["function_url"]["value"].startswith("${aws_lambda_function_url.")


def test_the_registration_stack_uses_only_the_tfe_provider(registration: dict[str, Any]) -> None:
    """Its provider (hashicorp/tfe) is not in the offline mirror: synthesized, never applied here."""
    assert registration["terraform"]["required_providers"] == {"tfe": {"source": "hashicorp/tfe", "version": "0.71.0"}}
    assert set(registration["resource"]) == {"tfe_organization_run_task", "tfe_workspace_run_task"}


def test_the_organization_task_calls_the_function_url_with_a_sensitive_hmac_key(registration: dict[str, Any]) -> None:
    (task,) = registration["resource"]["tfe_organization_run_task"].values()
    assert task["url"].startswith("${data.terraform_remote_state.cross-stack-reference-input-run-task.outputs.")
    assert (task["hmac_key"], task["enabled"]) == ("${var.hmac_key}", True)
    assert registration["variable"]["hmac_key"]["sensitive"] is True


def test_the_workspace_task_runs_after_the_plan_mandatory_or_advisory(registration: dict[str, Any]) -> None:
    (attached,) = registration["resource"]["tfe_workspace_run_task"].values()
    assert (attached["stage"], attached["enforcement_level"]) == ("post_plan", "${var.enforcement_level}")
    assert attached["task_id"] == "${tfe_organization_run_task.run_task.id}"
    level = registration["variable"]["enforcement_level"]
    assert level["default"] == "mandatory"
    assert level["validation"][0]["condition"] == 'contains(["mandatory", "advisory"], var.enforcement_level)'


def test_the_permissions_command_lists_the_calls_and_the_grants(out: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "lambda_dynamodb.cli", "permissions", "--outdir", str(out), "--stack", "run-task", "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (function,) = json.loads(run.stdout)["functions"]
    rows = {(r["action"], r["verdict"]) for r in function["permissions"] if r["action"].startswith("dynamodb:")}
    assert rows == {("dynamodb:PutItem", "used"), ("dynamodb:UpdateItem", "used")}
    assert {c["table"] for c in function["calls"]} == {"env:LAMBDA_DYNAMODB_RUN_TASK_TABLE"}


# --- Secrets Manager calls, as IAM evaluates them ---------------------------------------------


def test_a_secret_named_by_its_full_arn_is_checked_on_that_arn() -> None:
    permission = secret_permission("GetSecretValue", {"SecretId": SECRET_ARN}, ARNS)
    assert (permission.action, permission.resource) == ("secretsmanager:GetSecretValue", SECRET_ARN)


def test_a_secret_named_by_its_name_is_checked_on_the_arn_it_resolves_to() -> None:
    permission = secret_permission("GetSecretValue", {"SecretId": "lambda-dynamodb-run-task-hmac-key"}, ARNS, {"lambda-dynamodb-run-task-hmac-key": SECRET_ARN}.get)
    assert permission.resource == SECRET_ARN


def test_a_name_nothing_resolves_is_checked_on_a_partial_arn_no_grant_of_a_full_arn_allows() -> None:
    permission = secret_permission("GetSecretValue", {"SecretId": "missing"}, ARNS, lambda _: None)
    assert permission.resource == f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:missing"
    assert not Policies([("p", policy(SECRET_ARN))]).allows(permission.action, permission.resource)


def test_calls_naming_no_secret_are_checked_on_star() -> None:
    assert secret_permission("ListSecrets", {}, ARNS).resource == "*"


def policy(resource: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}]}


def test_the_enforcer_allows_getsecretvalue_on_the_granted_secret_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        admin = boto3.client("secretsmanager", region_name=REGION)
        ours = admin.create_secret(Name="ours", SecretString="k1")["ARN"]
        admin.create_secret(Name="other", SecretString="k2")
        enforcer = Enforcer(Policies([("p", policy(ours))]), f"arn:aws:sts::{ACCOUNT}:assumed-role/r/f", ACCOUNT)
        session = boto3.Session(region_name=REGION)
        enforcer.install(session)
        client = session.client("secretsmanager")
        assert client.get_secret_value(SecretId="ours")["SecretString"] == "k1"
        assert client.get_secret_value(SecretId=ours)["SecretString"] == "k1"
        with pytest.raises(ClientError) as refused:
            client.get_secret_value(SecretId="other")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [(c.resource, c.allowed) for c in enforcer.calls] == [(ours, True), (ours, True), (refused.value.response["Error"]["Message"].split("resource: ")[1].split(" ")[0], False)]
    assert ":secret:other-" in enforcer.calls[-1].resource
