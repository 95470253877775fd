"""What real AWS refuses and the emulator lets through: each rule checked before it can bite.

One test (or a few) per rule of docs/real-aws.md: refused settings name field, value and rule;
changes the emulator applies but AWS refuses are caught in the plan (tools/plan_checks.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

import main
from lambda_dynamodb import ConfigurationError, LambdaDynamoDb, validate
from lambda_dynamodb.packaging.code_package import archive
from lambda_dynamodb.review.aws_checks import aws_findings

from conftest import PROJECT_DIR, Deployment, deployed, module_settings, only, synth_stack

OTHER_REGION_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders-dlq"
CSC = "arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-0123456789abcdefg"


def with_table(**changes: Any) -> Any:
    base = module_settings()
    return replace(base, table=replace(base.table, **changes))


def with_function(**changes: Any) -> Any:
    base = module_settings()
    return replace(base, function=replace(base.function, **changes))


def problems_of(settings: Any) -> tuple[str, ...]:
    with pytest.raises(ConfigurationError) as caught:
        validate(settings)
    return caught.value.problems


def synthesized(tmp_path: Path, settings: Any) -> dict[str, Any]:
    return synth_stack(tmp_path, lambda stack: LambdaDynamoDb(stack, "module", settings))


# --- 1. TTL ----------------------------------------------------------------------------------


def test_ttl_is_explicitly_off_when_no_attribute_is_set(tmp_path: Path) -> None:
    assert only(synthesized(tmp_path, module_settings()), DynamodbTable.TF_RESOURCE_TYPE)["ttl"] == {"enabled": False}


def test_turning_ttl_off_names_the_attribute_it_was_on(tmp_path: Path) -> None:
    table = only(synthesized(tmp_path, with_table(previous_ttl_attribute="expires_at")), DynamodbTable.TF_RESOURCE_TYPE)
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": False}


def test_moving_ttl_to_another_attribute_is_refused_with_the_two_steps() -> None:
    (message,) = problems_of(with_table(ttl_attribute="valid_until", previous_ttl_attribute="expires_at"))
    assert message.startswith("table.ttl_attribute 'valid_until' is invalid: DynamoDB refuses to move TTL to another attribute while it is on")
    assert "first ttl_attribute=None with previous_ttl_attribute='expires_at'" in message and "then ttl_attribute='valid_until'" in message


def table_update(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    change = {"actions": ["update"], "before": {"ttl": [before]}, "after": {"ttl": [after]}}
    return {"resource_changes": [{"address": "aws_dynamodb_table.t", "type": "aws_dynamodb_table", "change": change}]}


def test_a_plan_that_moves_ttl_is_flagged() -> None:
    plan = table_update({"enabled": True, "attribute_name": "a"}, {"enabled": True, "attribute_name": "b"})
    (finding,) = aws_findings(plan)
    assert finding.startswith("`aws_dynamodb_table.t`: TTL moves from `a` to `b` while it is on, which DynamoDB refuses")


def test_a_plan_that_turns_ttl_off_without_its_name_is_flagged() -> None:
    plan = table_update({"enabled": True, "attribute_name": "a"}, {"enabled": False, "attribute_name": None})
    assert aws_findings(plan) == [
        "`aws_dynamodb_table.t`: TTL is turned off without naming its attribute, which DynamoDB refuses "
        "(the provider sends an empty name). Set previous_ttl_attribute='a'."
    ]


def test_turning_ttl_off_the_module_way_is_not_flagged() -> None:
    plan = table_update({"enabled": True, "attribute_name": "a"}, {"enabled": False, "attribute_name": "a"})
    assert aws_findings(plan) == []


@pytest.fixture(scope="module")
def ttl_on(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, Any, Path]]:
    """A table with TTL on `expires_at`, applied to an emulator: later versions are planned against it."""
    tmp = tmp_path_factory.mktemp("ttl")
    code = shutil.copytree(PROJECT_DIR / "lambda", tmp / "code", ignore=shutil.ignore_patterns("__pycache__"))
    on = replace(with_table(ttl_attribute="expires_at", deletion_protection=False), function=replace(module_settings().function, source_dir=code))
    synthesized(tmp / "v1", on)
    with deployed(tmp / "v1" / "stacks" / "test", tmp / "work") as deployment:
        yield deployment, on, tmp


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_real_plan_that_moves_ttl_is_flagged(ttl_on: tuple[Deployment, Any, Path]) -> None:
    deployment, on, tmp = ttl_on
    synthesized(tmp / "moved", replace(on, table=replace(on.table, ttl_attribute="valid_until")))
    (finding,) = aws_findings(deployment.plan_next(tmp / "moved" / "stacks" / "test"))
    assert "TTL moves from `expires_at` to `valid_until` while it is on" in finding


@pytest.mark.emulator
@pytest.mark.terraform
def test_ttl_off_by_name_turns_it_off_on_the_emulator(ttl_on: tuple[Deployment, Any, Path]) -> None:
    deployment, on, tmp = ttl_on
    synthesized(tmp / "off", replace(on, table=replace(on.table, ttl_attribute=None, previous_ttl_attribute="expires_at")))
    assert aws_findings(deployment.plan_next(tmp / "off" / "stacks" / "test")) == []
    deployment.terraform("apply", "-input=false", "-no-color", "next.plan")
    ttl = deployment.client("dynamodb").describe_time_to_live(TableName="SampleTable")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"


# --- 2. Reserved concurrency -----------------------------------------------------------------


def test_a_reservation_over_the_quota_less_100_is_refused() -> None:
    (message,) = problems_of(with_function(reserved_concurrency=901))
    assert message.startswith("function.reserved_concurrency 901 is invalid: at most 900: Lambda keeps 100 of the account's regional concurrency quota (1000, concurrency_quota) unreserved")


def test_a_raised_quota_allows_more() -> None:
    validate(with_function(reserved_concurrency=1500, concurrency_quota=2000))


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_emulator_refuses_what_the_quota_cannot_hold_as_aws_does(tmp_path: Path) -> None:
    # The settings claim a raised quota the emulator (AWS's default 1000) does not have.
    settings = with_function(reserved_concurrency=1500, concurrency_quota=2000)
    synthesized(tmp_path / "out", settings)
    with pytest.raises(AssertionError) as failure:
        with deployed(tmp_path / "out" / "stacks" / "test", tmp_path / "work"):
            pass
    assert "decreases account's UnreservedConcurrentExecution below its minimum value of [100]" in str(failure.value)


# --- 3. Code signing -------------------------------------------------------------------------


def test_code_signing_without_a_signed_package_is_refused() -> None:
    (message,) = problems_of(with_function(code_signing_config_arn=CSC))
    assert message == (
        f"function.code_signing_config_arn '{CSC}' is invalid: Lambda refuses unsigned code under an Enforce policy, and the zip "
        "the module builds is unsigned: give the zip signed with AWS Signer as package, with package_signed=True"
    )


def test_code_signing_with_a_signed_package_is_accepted(tmp_path: Path) -> None:
    signed = replace(with_function(code_signing_config_arn=CSC, package=archive((PROJECT_DIR / "lambda").resolve()), package_signed=True), check_code=False)
    assert only(synthesized(tmp_path, signed), LambdaFunction.TF_RESOURCE_TYPE)["code_signing_config_arn"] == CSC


# --- 4. KMS keys the services use ------------------------------------------------------------


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_log_key_of_another_region_fails_the_plan(tmp_path: Path) -> None:
    synthesized(tmp_path / "out", with_function(log_kms_key_arn=OTHER_REGION_KEY))
    with deployed(tmp_path / "out" / "stacks" / "test", tmp_path / "work", apply=False) as deployment:
        plan = deployment.terraform("plan", "-input=false", "-no-color", check=False)
    assert plan.returncode != 0
    assert f"function.log_kms_key_arn '{OTHER_REGION_KEY}' is invalid: a KMS key in the stack's region" in " ".join(plan.stderr.split())


def test_a_log_key_of_the_stacks_region_passes_the_check(tmp_path: Path) -> None:
    key = OTHER_REGION_KEY.replace("us-east-1", "eu-west-1")
    group = only(synthesized(tmp_path, with_function(log_kms_key_arn=key)), CloudwatchLogGroup.TF_RESOURCE_TYPE)
    (condition,) = group["lifecycle"]["precondition"]
    assert condition["condition"].startswith('${(element(split(":", "arn:aws:kms:eu-west-1:')


def test_a_dead_letter_key_needs_a_dead_letter_target() -> None:
    (message,) = problems_of(with_function(dead_letter_kms_key_arn=OTHER_REGION_KEY))
    assert message == f"function.dead_letter_kms_key_arn '{OTHER_REGION_KEY}' is invalid: a key for the dead-letter target: it needs dead_letter_target_arn"


# --- 5. Environment size ---------------------------------------------------------------------


def test_an_environment_over_4_kb_is_refused() -> None:
    (message,) = problems_of(with_function(environment={"CONFIG": "x" * 4070}))
    assert message == (
        "function.environment ['CONFIG'] is invalid: Lambda refuses environments over 4 KB (4096 bytes of names and values "
        "together); with the variables the module sets these are 4117 bytes"
    )


def test_an_environment_of_4_kb_is_accepted() -> None:
    # CONFIG=... plus TABLE_NAME=SampleTable plus TABLE_KEY_NAMES=pk,sk: exactly 4096 bytes.
    validate(with_function(environment={"CONFIG": "x" * (4096 - 6 - 10 - 11 - 15 - 5)}))


# --- 6. Names that are account-wide ----------------------------------------------------------


def test_the_name_suffix_goes_on_every_name(clean_env: pytest.MonkeyPatch) -> None:
    module = main.app_settings(main.load_context(), {"LAMBDA_DYNAMODB_NAME_SUFFIX": "-staging"}).module_settings()
    names = (module.table.name, module.function.name, module.role.name, module.role.policy_name)
    assert names == ("SampleTable-staging", "MyLambdaFunction-staging", "MyLambdaRole-staging", "MyLambdaPolicy-staging")


def test_a_name_suffix_some_name_refuses_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match=r"context.nameSuffix '\.dev' is invalid: 0 to 32 characters that every name allows: A-Z a-z 0-9 _ -"):
        main.app_settings({**main.load_context(), "nameSuffix": ".dev"}, {})


@pytest.mark.emulator
@pytest.mark.terraform
def test_an_existing_log_group_is_adopted_when_asked(tmp_path: Path) -> None:
    synthesized(tmp_path / "out", with_function(import_log_group=True))
    with deployed(tmp_path / "out" / "stacks" / "test", tmp_path / "work", before_apply=_existing_log_group) as deployment:
        groups = deployment.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/MyLambdaFunction")["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [("/aws/lambda/MyLambdaFunction", 365)]


@pytest.mark.emulator
@pytest.mark.terraform
def test_an_existing_log_group_fails_the_deploy_otherwise(tmp_path: Path) -> None:
    synthesized(tmp_path / "out", module_settings())
    with pytest.raises(AssertionError, match="ResourceAlreadyExistsException"):
        with deployed(tmp_path / "out" / "stacks" / "test", tmp_path / "work", before_apply=_existing_log_group):
            pass


def _existing_log_group(deployment: Deployment) -> None:
    deployment.client("logs").create_log_group(logGroupName="/aws/lambda/MyLambdaFunction")


# --- 7. Update order -------------------------------------------------------------------------

CONTEXT_STATE = {
    "values": {
        "root_module": {
            "resources": [
                {"mode": "data", "type": "aws_partition", "values": {"partition": "aws"}},
                {"mode": "data", "type": "aws_region", "values": {"name": "eu-west-1"}},
                {"mode": "data", "type": "aws_caller_identity", "values": {"account_id": "123456789012"}},
            ]
        }
    }
}
VPC = {"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": ["sg-0123456789abcdef0"]}
ENI_ACTIONS = ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]


def function_and_policy_update(vpc_after: list[dict[str, Any]], eni_after: bool) -> dict[str, Any]:
    def policy(with_eni: bool) -> str:
        statements = [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]
        if with_eni:
            statements.append({"Effect": "Allow", "Action": ENI_ACTIONS + ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], "Resource": "*"})
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    function = {"function_name": "fn", "vpc_config": [VPC], "tracing_config": [{"mode": "PassThrough"}]}
    return {
        "prior_state": CONTEXT_STATE,
        "resource_changes": [
            {"address": "aws_lambda_function.fn", "type": "aws_lambda_function",
             "change": {"actions": ["update"], "before": function, "after": {**function, "vpc_config": vpc_after}}},
            {"address": "aws_iam_policy.p", "type": "aws_iam_policy",
             "change": {"actions": ["update"], "before": {"policy": policy(True)}, "after": {"policy": policy(eni_after)}}},
        ],
    }


def test_a_plan_that_shrinks_the_policy_before_the_function_leaves_its_vpc_is_flagged() -> None:
    (finding,) = aws_findings(function_and_policy_update(vpc_after=[], eni_after=False))
    assert finding.startswith("`aws_lambda_function.fn`: the policy change removes ec2:AssignPrivateIpAddresses, ec2:CreateNetworkInterface")
    assert "Lambda manages the function's network interfaces in its VPC" in finding
    assert finding.endswith("Apply in two steps: the function first (`terraform apply -target=aws_lambda_function.fn`), then everything.")


def test_a_plan_that_keeps_the_permissions_is_not_flagged() -> None:
    assert aws_findings(function_and_policy_update(vpc_after=[], eni_after=True)) == []
