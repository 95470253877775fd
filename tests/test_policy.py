"""The policy model: renderings, logs modes, and fidelity to the reference policy."""

from __future__ import annotations

from typing import Any

from dataclasses import replace

from lambda_dynamodb import Access, ArnContext, LogsMode, PolicyDocument, TracingMode
from lambda_dynamodb.iam.access import REFERENCE_ACTIONS, table_statement
from lambda_dynamodb.iam.lambda_service import logs_statements
from lambda_dynamodb.iam.policy import LAMBDA_TRUST, Arn, table_arn

from conftest import module_settings

REFERENCE = ArnContext(partition="aws", region="eu-west-1", account="123456789012")
LOG_GROUP = "/aws/lambda/MyLambdaFunction"


def reference_document() -> PolicyDocument:
    return PolicyDocument().with_statements(
        table_statement(REFERENCE_ACTIONS, table_arn("SampleTable"), has_indexes=False),
        *logs_statements(LogsMode.ACCOUNT_WIDE, LOG_GROUP),
    )


def test_reference_configuration_renders_the_blog_policy(blog_policy: dict[str, Any]) -> None:
    assert reference_document().render(REFERENCE) == blog_policy


def test_module_with_reference_settings_renders_the_blog_policy(blog_policy: dict[str, Any], tmp_path) -> None:
    from lambda_dynamodb import LambdaDynamoDb

    from conftest import synth_stack

    built: list[Any] = []
    settings = module_settings(access=REFERENCE_ACTIONS, logs=LogsMode.ACCOUNT_WIDE)
    settings = replace(settings, function=replace(settings.function, tracing=TracingMode.PASS_THROUGH))
    synth_stack(tmp_path, lambda stack: built.append(LambdaDynamoDb(stack, "module", settings)))
    assert built[0].role.document.render(REFERENCE) == blog_policy


def test_scoped_logs_grant_only_stream_writes_on_the_functions_group() -> None:
    (statement,) = logs_statements(LogsMode.SCOPED, LOG_GROUP)
    assert statement.render(REFERENCE) == {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/MyLambdaFunction:*",
    }


def test_account_wide_logs_are_the_references_two_statements(blog_policy: dict[str, Any]) -> None:
    rendered = [s.render(REFERENCE) for s in logs_statements(LogsMode.ACCOUNT_WIDE, LOG_GROUP)]
    assert rendered == blog_policy["Statement"][1:]


def test_indexes_add_the_index_arn() -> None:
    statement = table_statement(Access.READ.actions, table_arn("T1"), has_indexes=True)
    assert statement.render(REFERENCE)["Resource"] == [
        "arn:aws:dynamodb:eu-west-1:123456789012:table/T1",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/T1/index/*",
    ]


def test_literal_arn_ignores_the_context() -> None:
    given = "arn:aws:dynamodb:us-east-1:111122223333:table/Shared"
    assert Arn.of(given).render(REFERENCE) == given


def test_other_partitions_render_their_arns() -> None:
    china = ArnContext(partition="aws-cn", region="cn-north-1", account="123456789012")
    assert table_arn("T1").render(china) == "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/T1"


def test_trust_policy_allows_only_lambda_to_assume() -> None:
    assert LAMBDA_TRUST.render(REFERENCE)["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def test_documents_are_immutable() -> None:
    empty = PolicyDocument()
    grown = empty.with_statements(*logs_statements(LogsMode.SCOPED, LOG_GROUP))
    assert empty.statements == () and len(grown.statements) == 1
