"""The synthesized role, trust policy, customer-managed policy and attachment; and grants."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from lambda_dynamodb.iam.access import READ_ACTIONS, READ_WRITE_ACTIONS, WRITE_ACTIONS

from conftest import data_sources, only, permissions_statements

ARN_PREFIX = r"arn:\$\{data\.aws_partition\.\w+\.partition\}:(\w+):\$\{data\.aws_region\.\w+\.name\}:\$\{data\.aws_caller_identity\.\w+\.account_id\}:"


def concrete(resource: str) -> str:
    """A synthesized ARN with its partition/region/account expressions replaced by placeholders."""
    return re.sub(ARN_PREFIX, r"arn:P:\1:R:A:", resource)


def table_statement(doc: dict[str, Any]) -> dict[str, Any]:
    return permissions_statements(doc)[0]


def test_role_name_and_trust(synthesized) -> None:
    doc = synthesized("default")
    role = only(doc, IamRole.TF_RESOURCE_TYPE)
    assert role["name"] == "MyLambdaRole"
    trust_name = role["assume_role_policy"].split(".")[2]
    assert data_sources(doc, DataAwsIamPolicyDocument.TF_RESOURCE_TYPE)[trust_name]["statement"] == [
        {
            "actions": ["sts:AssumeRole"],
            "effect": "Allow",
            "principals": [{"identifiers": ["lambda.amazonaws.com"], "type": "Service"}],
        }
    ]


def test_policy_is_customer_managed_from_a_policy_document(synthesized) -> None:
    policy = only(synthesized("default"), IamPolicy.TF_RESOURCE_TYPE)
    assert policy["name"] == "MyLambdaPolicy"
    assert re.fullmatch(r"\$\{data\.aws_iam_policy_document\.\w+\.json\}", policy["policy"])


def test_attachment_links_the_role_and_the_policy(synthesized) -> None:
    doc = synthesized("default")
    attachment = only(doc, IamRolePolicyAttachment.TF_RESOURCE_TYPE)
    role_id = next(iter(doc["resource"][IamRole.TF_RESOURCE_TYPE]))
    policy_id = next(iter(doc["resource"][IamPolicy.TF_RESOURCE_TYPE]))
    assert attachment == {
        "role": f"${{{IamRole.TF_RESOURCE_TYPE}.{role_id}.name}}",
        "policy_arn": f"${{{IamPolicy.TF_RESOURCE_TYPE}.{policy_id}.arn}}",
        "//": attachment["//"],
    }


def test_module_default_access_is_read_write(synthesized) -> None:
    assert table_statement(synthesized("default"))["actions"] == list(READ_WRITE_ACTIONS)


@pytest.mark.parametrize(
    ("configuration", "actions"),
    [("read", READ_ACTIONS), ("write", WRITE_ACTIONS), ("read_write", READ_WRITE_ACTIONS)],
)
def test_level_without_indexes_grants_its_actions_on_the_table_only(synthesized, configuration, actions) -> None:
    statement = table_statement(synthesized(configuration))
    assert statement["actions"] == list(actions)
    assert [concrete(r) for r in statement["resources"]] == ["arn:P:dynamodb:R:A:table/SampleTable"]


@pytest.mark.parametrize(
    ("configuration", "actions"),
    [("read_indexed", READ_ACTIONS), ("write_indexed", WRITE_ACTIONS), ("read_write_indexed", READ_WRITE_ACTIONS)],
)
def test_level_with_indexes_adds_the_index_arn(synthesized, configuration, actions) -> None:
    statement = table_statement(synthesized(configuration))
    assert statement["actions"] == list(actions)
    assert [concrete(r) for r in statement["resources"]] == [
        "arn:P:dynamodb:R:A:table/IndexedTable",
        "arn:P:dynamodb:R:A:table/IndexedTable/index/*",
    ]


def logs_statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in permissions_statements(doc) if s["actions"][0].startswith("logs:")]


def test_scoped_logs_statement(synthesized) -> None:
    statements = permissions_statements(synthesized("default"))
    assert [s["actions"][0].split(":")[0] for s in statements] == ["dynamodb", "logs", "xray"]
    assert statements[1]["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert [concrete(r) for r in statements[1]["resources"]] == ["arn:P:logs:R:A:log-group:/aws/lambda/MyLambdaFunction:*"]


def test_scoped_logs_never_grant_create_log_group_or_star(synthesized) -> None:
    statements = logs_statements(synthesized("default"))
    assert all("logs:CreateLogGroup" not in s["actions"] for s in statements)
    assert all("*" not in s["resources"] for s in statements)


def test_account_wide_logs_statements(synthesized) -> None:
    statements = logs_statements(synthesized("account_wide"))
    assert [(s["actions"], [concrete(r) for r in s["resources"]]) for s in statements] == [
        (["logs:CreateLogStream", "logs:PutLogEvents"], ["arn:P:logs:R:A:*"]),
        (["logs:CreateLogGroup"], ["*"]),
    ]


def test_existing_table_is_granted_by_its_given_arn(synthesized) -> None:
    statement = table_statement(synthesized("existing_table"))
    assert statement["resources"] == ["arn:aws:dynamodb:us-east-1:111122223333:table/Shared"]


def test_arn_data_sources_are_shared_per_stack(tmp_path) -> None:
    from lambda_dynamodb import Access, LambdaDynamoDb, TableSettings
    from lambda_dynamodb.config.settings import FunctionSettings, RoleSettings

    from conftest import PROJECT_DIR, module_settings, synth_stack

    def two_modules(stack: Any) -> None:
        first = LambdaDynamoDb(stack, "first", module_settings())
        second = LambdaDynamoDb(
            stack,
            "second",
            module_settings(
                table=TableSettings(name="Orders"),
                function=FunctionSettings(name="OrdersFunction", source_dir=PROJECT_DIR / "lambda"),
                role=RoleSettings(name="OrdersRole", policy_name="OrdersPolicy"),
            ),
        )
        first.table.grant(second.function, Access.READ)

    doc = synth_stack(tmp_path, two_modules)
    assert [len(data_sources(doc, t)) for t in ("aws_partition", "aws_region", "aws_caller_identity")] == [1, 1, 1]
    documents = data_sources(doc, DataAwsIamPolicyDocument.TF_RESOURCE_TYPE)
    second_permissions = next(v for k, v in documents.items() if k.startswith("second_role_permissions"))
    # After the module's own statements: its table, its logs, X-Ray.
    granted = second_permissions["statement"][3]
    assert granted["actions"] == list(READ_ACTIONS)
    assert [concrete(r) for r in granted["resources"]] == ["arn:P:dynamodb:R:A:table/SampleTable"]
