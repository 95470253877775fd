"""Every access level's rendered policy, linted by parliament (its own offline IAM database)."""

from __future__ import annotations

import pytest

from lambda_dynamodb import Access, ArnContext, LogsMode, PolicyDocument, TracingMode
from lambda_dynamodb.iam.access import FIXED_LEVELS, REFERENCE_ACTIONS, key_statement, table_statement
from lambda_dynamodb.iam.lambda_service import ServiceUse, logs_statements, statements
from lambda_dynamodb.iam.policy import table_arn

pytestmark = pytest.mark.scan

CONTEXT = ArnContext("aws", "eu-west-1", "123456789012")
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ACCESS = {level.value: level.actions for level in FIXED_LEVELS} | {"reference": REFERENCE_ACTIONS}


def findings(document: PolicyDocument) -> list[tuple[str, object]]:
    import parliament

    return [(f.issue, f.detail) for f in parliament.analyze_policy_string(document.to_json(CONTEXT)).findings]


def document(actions: tuple[str, ...], has_indexes: bool, logs: LogsMode) -> PolicyDocument:
    return PolicyDocument().with_statements(
        table_statement(actions, table_arn("Orders"), has_indexes), *logs_statements(logs, "/aws/lambda/orders")
    )


@pytest.mark.parametrize("has_indexes", [False, True], ids=["table", "indexed"])
@pytest.mark.parametrize("access", list(ACCESS))
def test_scoped_policy_has_no_findings(access: str, has_indexes: bool) -> None:
    assert findings(document(ACCESS[access], has_indexes, LogsMode.SCOPED)) == []


@pytest.mark.parametrize("access", list(ACCESS))
def test_account_wide_policy_has_only_the_documented_create_log_group_star(access: str) -> None:
    # logs:CreateLogGroup has no resource-level permissions: the walkthrough grants it on *.
    assert findings(document(ACCESS[access], False, LogsMode.ACCOUNT_WIDE)) == [("RESOURCE_STAR", ["logs:CreateLogGroup"])]


def test_every_lambda_feature_statement_has_no_findings() -> None:
    use = ServiceUse(
        log_group="/aws/lambda/orders",
        tracing=TracingMode.ACTIVE,
        subnet_ids=("subnet-0123456789abcdef0",),
        security_group_ids=("sg-0123456789abcdef0",),
        dead_letter_target_arn="arn:aws:sqs:eu-west-1:123456789012:orders-dlq",
        dead_letter_kms_key_arn=KEY,
        environment_kms_key_arn=KEY,
    )
    extras = PolicyDocument().with_statements(key_statement(Access.READ_WRITE.actions, KEY), *statements(use))
    assert findings(extras) == []


def test_parliament_catches_a_typo() -> None:
    # The linter itself works: an action that does not exist is a finding.
    bad = PolicyDocument().with_statements(table_statement(("dynamodb:PutItems",), table_arn("Orders"), False))
    assert [issue for issue, _ in findings(bad)] == ["UNKNOWN_ACTION"]
