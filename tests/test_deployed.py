"""The default app applied by Terraform to a local emulator of its own: what AWS ends up holding.

The module fixture applies once; the last test destroys, and asserts nothing is left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

import main
from lambda_dynamodb import ArnContext
from tools.smoke import smoke_test

from conftest import REFERENCE_ARNS, Deployment, attached_policy_document, deployed, only, policy_statements

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]


@pytest.fixture(scope="module")
def deployment(app_stack_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployed(app_stack_dir, tmp_path_factory.mktemp("deployed")) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def module_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The policy the module renders for the default app, with the emulator's account."""
    settings = main.app_settings(main.load_context(), {})
    app = main.build_app(settings, tmp_path_factory.mktemp("model"))
    module = main.app_module(app)
    return module.role.document.render(ArnContext(*REFERENCE_ARNS))


def test_outputs_name_every_resource(deployment: Deployment) -> None:
    outputs = deployment.outputs()
    assert outputs["table_arn"] == "arn:aws:dynamodb:eu-west-1:123456789012:table/SampleTable"
    assert outputs["role_arn"] == "arn:aws:iam::123456789012:role/MyLambdaRole"
    assert outputs["policy_arn"] == "arn:aws:iam::123456789012:policy/MyLambdaPolicy"
    assert outputs["function_arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:MyLambdaFunction"


def test_table_keys_billing_pitr_and_encryption(deployment: Deployment) -> None:
    dynamodb = deployment.client("dynamodb")
    table = dynamodb.describe_table(TableName="SampleTable")["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["DeletionProtectionEnabled"] is True
    backups = dynamodb.describe_continuous_backups(TableName="SampleTable")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_role_trusts_only_lambda(deployment: Deployment) -> None:
    role = deployment.client("iam").get_role(RoleName="MyLambdaRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def test_attached_policy_is_exactly_what_the_module_rendered(deployment: Deployment, module_document: dict[str, Any]) -> None:
    stored = attached_policy_document(deployment, "MyLambdaRole")
    assert policy_statements(stored) == policy_statements(module_document)


def test_function_configuration(deployment: Deployment) -> None:
    config = deployment.client("lambda").get_function_configuration(FunctionName="MyLambdaFunction")
    assert config["CodeSha256"] == only(json.loads((deployment.stack_dir / "cdk.tf.json").read_text()), LambdaFunction.TF_RESOURCE_TYPE)["source_code_hash"]
    assert config["Role"] == "arn:aws:iam::123456789012:role/MyLambdaRole"
    assert (config["Runtime"], config["Handler"]) == ("python3.13", "handler.handler")
    assert config["Environment"]["Variables"] == {"TABLE_NAME": "SampleTable", "TABLE_KEY_NAMES": "pk,sk"}
    assert config["TracingConfig"]["Mode"] == "Active"


def test_log_group_exists_with_its_retention(deployment: Deployment) -> None:
    groups = deployment.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/MyLambdaFunction")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [("/aws/lambda/MyLambdaFunction", 365)]


def test_smoke_test_passes_against_the_deployed_table(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in deployment.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    reported: list[str] = []
    result = smoke_test("MyLambdaFunction", deployment.stack_dir, report=reported.append)
    assert reported[-1] == "ok  refuse to overwrite it"
    # put, get, query, scan, update, refused put: each one DynamoDB call on the table.
    assert result.sentence() == "6 smoke checks passed, 6 AWS calls checked: all allowed by MyLambdaPolicy"


def test_smoke_test_runs_the_deployed_zip(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in deployment.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    reported: list[str] = []
    smoke_test("MyLambdaFunction", deployment.stack_dir, report=reported.append)
    assert any(line.startswith("ok  the deployed code is assets/") and "CodeSha256" in line for line in reported)
    assert "ok  MyLambdaPolicy allows the 4 calls Lambda makes with MyLambdaRole" in reported


def test_second_plan_shows_only_the_emulators_logging_config_gap(deployment: Deployment) -> None:
    deployment.terraform("plan", "-input=false", "-no-color", "-out=second.plan")
    plan = json.loads(deployment.terraform("show", "-json", "second.plan").stdout)
    drift = {
        change["address"]: sorted(k for k in change["change"]["after"] if change["change"]["before"].get(k) != change["change"]["after"][k])
        for change in plan.get("resource_changes", [])
        if change["change"]["actions"] not in (["no-op"], ["read"])
    }
    # moto 5.2 does not store a function's LoggingConfig (see README): that, and nothing else.
    assert all(address.startswith(f"{LambdaFunction.TF_RESOURCE_TYPE}.") for address in drift), drift
    assert set().union(*drift.values()) <= {"logging_config"}, drift


def test_destroy_leaves_nothing_behind(deployment: Deployment) -> None:
    deployment.client("dynamodb").update_table(TableName="SampleTable", DeletionProtectionEnabled=False)
    deployment.terraform("destroy", "-auto-approve", "-input=false", "-no-color")
    assert deployment.client("dynamodb").list_tables()["TableNames"] == []
    assert [r["RoleName"] for r in deployment.client("iam").list_roles()["Roles"] if r["RoleName"] == "MyLambdaRole"] == []
    assert deployment.client("iam").list_policies(Scope="Local")["Policies"] == []
    assert deployment.client("lambda").list_functions()["Functions"] == []
    assert deployment.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"] == []
