"""SDK operations -> IAM actions, from botocore's and boto3's models (no hand-written table)."""

from __future__ import annotations

import pytest

from lambda_dynamodb.iam.dynamodb_actions import DYNAMODB_ACTIONS
from lambda_dynamodb.iam.dynamodb_operations import (
    ArnBase,
    Permission,
    client_operations,
    operation_actions,
    request_permissions,
    service_resource_operations,
    statement_target,
    table_operations,
)

ARNS = ArnBase("aws", "eu-west-1", "123456789012")
TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"


@pytest.mark.parametrize("operation", sorted(client_operations().values()))
def test_every_client_operation_maps_to_actions_in_the_catalog(operation: str) -> None:
    actions = operation_actions(operation)
    assert actions and set(actions) <= DYNAMODB_ACTIONS


def test_resource_methods_are_client_operations() -> None:
    operations = set(client_operations().values())
    assert set(table_operations().values()) | set(service_resource_operations().values()) <= operations


def test_transactions_need_the_item_actions_inside_them() -> None:
    assert set(operation_actions("TransactWriteItems")) == {
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
    }
    assert operation_actions("TransactGetItems") == ("dynamodb:GetItem",)


def test_a_query_on_an_index_is_authorized_on_the_index() -> None:
    permissions = request_permissions("Query", {"TableName": "Orders", "IndexName": "by-date"}, ARNS)
    assert permissions == (Permission("dynamodb:Query", f"{TABLE}/index/by-date"),)


def test_a_batch_write_is_checked_once_per_table() -> None:
    params = {"RequestItems": {"Orders": [{}], "Audit": [{}]}}
    assert [p.resource.rsplit("/", 1)[1] for p in request_permissions("BatchWriteItem", params, ARNS)] == ["Orders", "Audit"]


def test_a_transaction_is_checked_as_its_entries() -> None:
    params = {"TransactItems": [{"Put": {"TableName": "Orders"}}, {"ConditionCheck": {"TableName": "Orders"}}]}
    assert request_permissions("TransactWriteItems", params, ARNS) == (
        Permission("dynamodb:PutItem", TABLE),
        Permission("dynamodb:ConditionCheckItem", TABLE),
    )


def test_a_partiql_statement_is_checked_by_its_verb_and_target() -> None:
    params = {"Statement": 'SELECT * FROM "Orders"."by-date" WHERE pk = ?'}
    assert request_permissions("ExecuteStatement", params, ARNS) == (Permission("dynamodb:PartiQLSelect", f"{TABLE}/index/by-date"),)


def test_a_table_arn_given_as_the_name_is_used_as_it_is() -> None:
    assert request_permissions("GetItem", {"TableName": TABLE}, ARNS) == (Permission("dynamodb:GetItem", TABLE),)


@pytest.mark.parametrize(
    ("statement", "target"),
    [('INSERT INTO "Orders" VALUE {}', ("Orders", None)), ("update Orders SET a = 1", ("Orders", None)), ("SELECT 1", None)],
)
def test_partiql_targets(statement: str, target: object) -> None:
    assert statement_target(statement) == target
