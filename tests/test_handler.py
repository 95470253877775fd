"""The function's code against moto's in-process DynamoDB (mock_aws)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import handler
from iam_enforcer import Enforcer, assumed_role_principal, attached_policies
from lambda_dynamodb import ArnContext, permission_plan
from lambda_dynamodb.access import REFERENCE_ACTIONS
from lambda_dynamodb.code_calls import analyse

from conftest import PROJECT_DIR, module_settings

TABLE = "SampleTable"


REGION, ACCOUNT = "eu-west-1", "123456789012"
ROLE, FUNCTION = "MyLambdaRole", "MyLambdaFunction"


def module_policy(access: object = REFERENCE_ACTIONS) -> dict[str, Any]:
    """The policy the module grants the sample function (the app's settings), rendered."""
    return permission_plan(module_settings(access=access)).document.render(ArnContext("aws", REGION, ACCOUNT))


def enforce(document: dict[str, Any]) -> Enforcer:
    """The document stored as the role's policy in IAM, read back, and enforced on the handler."""
    iam = boto3.client("iam")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    policy = iam.create_policy(PolicyName="MyLambdaPolicy", PolicyDocument=json.dumps(document))["Policy"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy["Arn"])
    enforcer = Enforcer(attached_policies(iam, ROLE), assumed_role_principal(role["Arn"], FUNCTION), ACCOUNT)
    # The handler's clients come from boto3's default session: a fresh one, hooked.
    boto3.setup_default_session()
    enforcer.install(boto3.DEFAULT_SESSION)
    handler._table_named.cache_clear()
    return enforcer


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv(handler.TABLE_NAME_VARIABLE, TABLE)
    with mock_aws():
        yield
    boto3.setup_default_session()
    handler._table_named.cache_clear()


@pytest.fixture()
def created_table(aws: None) -> Any:
    return boto3.resource("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture()
def enforcer(created_table: Any) -> Iterator[Enforcer]:
    """Every AWS call of the test's handler runs evaluated against the module's policy."""
    enforcer = enforce(module_policy())
    yield enforcer
    assert [enforcer.message(call) for call in enforcer.denied()] == []


@pytest.fixture()
def table(created_table: Any, enforcer: Enforcer) -> Any:
    return created_table


ITEM = {"pk": "user#1", "sk": "profile", "name": "Ada", "score": 1.5}


def test_put_then_get(table: Any) -> None:
    assert handler.handler({"action": "put", "item": ITEM})["ok"] is True
    answer = handler.handler({"action": "get", "key": {"pk": "user#1", "sk": "profile"}})
    assert answer == {"ok": True, "action": "get", "found": True, "item": ITEM}


def test_get_missing_item_is_not_found(table: Any) -> None:
    answer = handler.handler({"action": "get", "key": {"pk": "nobody", "sk": "x"}})
    assert (answer["ok"], answer["found"], answer["item"]) == (True, False, None)


def test_query_by_partition_key(table: Any) -> None:
    for sk in ("a", "b"):
        handler.handler({"action": "put", "item": {"pk": "user#1", "sk": sk}})
    handler.handler({"action": "put", "item": {"pk": "user#2", "sk": "a"}})
    answer = handler.handler({"action": "query", "partition_key": {"name": "pk", "value": "user#1"}})
    assert (answer["count"], [i["sk"] for i in answer["items"]]) == (2, ["a", "b"])


def test_scan_respects_limit(table: Any) -> None:
    for sk in ("a", "b", "c"):
        handler.handler({"action": "put", "item": {"pk": "p", "sk": sk}})
    assert handler.handler({"action": "scan", "limit": 2})["count"] == 2


def test_update_changes_an_existing_item(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM})
    answer = handler.handler({"action": "update", "key": {"pk": "user#1", "sk": "profile"}, "set": {"name": "Grace", "score": 2}})
    assert answer["item"] == {**ITEM, "name": "Grace", "score": 2}


def test_update_refuses_a_missing_item(table: Any) -> None:
    answer = handler.handler({"action": "update", "key": {"pk": "ghost", "sk": "x"}, "set": {"name": "x"}})
    assert (answer["ok"], answer["error"]["type"]) == (False, "BadRequest")
    assert "no item has this key" in answer["error"]["message"]
    assert "Item" not in table.get_item(Key={"pk": "ghost", "sk": "x"})


def test_put_refuses_to_overwrite(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM})
    answer = handler.handler({"action": "put", "item": {**ITEM, "name": "Mallory"}})
    assert (answer["ok"], answer["error"]["type"]) == (False, "BadRequest")
    assert table.get_item(Key={"pk": "user#1", "sk": "profile"})["Item"]["name"] == "Ada"


def test_put_overwrites_when_asked(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM})
    assert handler.handler({"action": "put", "item": {**ITEM, "name": "Grace"}, "overwrite": True})["ok"] is True
    assert table.get_item(Key={"pk": "user#1", "sk": "profile"})["Item"]["name"] == "Grace"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("not an object", "the event must be a JSON object, got str"),
        ({}, "action None is not one of batch_write, get, put, query, scan, update"),
        ({"action": "drop"}, "action 'drop' is not one of"),
        ({"action": "get"}, "key must be a non-empty JSON object"),
        ({"action": "put", "item": []}, "item must be a non-empty JSON object"),
        ({"action": "put", "item": ITEM, "overwrite": "yes"}, "overwrite must be true or false"),
        ({"action": "query", "partition_key": {"value": 1}}, "partition_key must be an object with a non-empty 'name'"),
        ({"action": "scan", "limit": 0}, "limit must be a whole number from 1 to 100"),
        ({"action": "update", "key": {"pk": "a", "sk": "b"}}, "set must be a non-empty JSON object"),
    ],
)
def test_bad_event_gets_a_clear_error_response(table: Any, event: Any, message: str) -> None:
    answer = handler.handler(event)
    assert answer["ok"] is False and answer["error"]["type"] == "BadRequest"
    assert message in answer["error"]["message"]


def test_dynamodb_rejection_is_an_error_response(table: Any) -> None:
    answer = handler.handler({"action": "get", "key": {"wrong": "key"}})
    assert (answer["ok"], answer["error"]["type"]) == (False, "ValidationException")


def test_missing_table_variable_is_a_clear_error(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(handler.TABLE_NAME_VARIABLE)
    answer = handler.handler({"action": "scan"})
    assert answer["error"] == {
        "type": "NotConfigured",
        "message": "environment variable TABLE_NAME is not set: it must name the DynamoDB table",
    }


def test_logs_are_json_lines(table: Any, capsys: pytest.CaptureFixture[str]) -> None:
    handler.handler({"action": "scan"})
    handler.handler({"action": "drop"})
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["level"], r["action"]) for r in records] == [("INFO", "scan"), ("ERROR", "drop")]


def test_batch_write_writes_every_item_in_chunks(table: Any) -> None:
    items = [{"pk": "batch", "sk": f"{i:03}"} for i in range(60)]
    assert handler.handler({"action": "batch_write", "items": items, "overwrite": True})["written"] == 60
    assert table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "batch"})["Count"] == 60


def test_batch_write_needs_explicit_overwrite(table: Any) -> None:
    answer = handler.handler({"action": "batch_write", "items": [ITEM]})
    assert (answer["ok"], answer["error"]["type"]) == (False, "BadRequest")
    assert "send overwrite: true" in answer["error"]["message"]
    assert "Item" not in table.get_item(Key={"pk": "user#1", "sk": "profile"})


def _throttling_for(calls: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first ``calls`` BatchWriteItem calls leave their first request unprocessed."""
    real = handler.write_batch
    seen: list[int] = []

    def flaky(client: Any, request_items: dict[str, Any]) -> dict[str, Any]:
        seen.append(sum(len(r) for r in request_items.values()))
        if len(seen) > calls:
            return real(client, request_items)
        name, requests = next(iter(request_items.items()))
        unprocessed = real(client, {name: requests[1:]}) if requests[1:] else {}
        return {name: requests[:1] + unprocessed.get(name, [])}

    monkeypatch.setattr(handler, "write_batch", flaky)
    monkeypatch.setattr(handler.time, "sleep", lambda seconds: None)
    return seen


def test_batch_write_retries_unprocessed_items(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _throttling_for(2, monkeypatch)
    items = [{"pk": "retry", "sk": str(i)} for i in range(3)]
    assert handler.handler({"action": "batch_write", "items": items, "overwrite": True})["written"] == 3
    assert seen == [3, 1, 1]
    assert table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "retry"})["Count"] == 3


def test_batch_write_reports_what_still_failed(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _throttling_for(handler.BATCH_ATTEMPTS, monkeypatch)
    items = [{"pk": "stuck", "sk": str(i)} for i in range(3)]
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True})
    assert (answer["ok"], answer["error"]["type"]) == (False, "UnprocessedItems")
    assert answer["error"]["message"] == "1 of 3 items were not written after 5 attempts"
    assert answer["unprocessed"] == [{"pk": "stuck", "sk": "0"}]
    assert table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "stuck"})["Count"] == 2


@pytest.mark.parametrize("items", [[], [{}], "x", [{"pk": "a"}] * 501])
def test_batch_write_rejects_bad_items(table: Any, items: Any) -> None:
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True})
    assert answer["error"]["message"] == "items must be a list of 1 to 500 non-empty JSON objects"


# --- every call the handler makes, proven against the policy ---------------------------------

EVERY_OPERATION = [
    {"action": "put", "item": ITEM},
    {"action": "get", "key": {"pk": "user#1", "sk": "profile"}},
    {"action": "query", "partition_key": {"name": "pk", "value": "user#1"}},
    {"action": "scan"},
    {"action": "update", "key": {"pk": "user#1", "sk": "profile"}, "set": {"name": "Grace"}},
    {"action": "batch_write", "items": [{"pk": "b", "sk": "1"}], "overwrite": True},
]


def test_every_call_is_checked_and_allowed_on_the_table(table: Any, enforcer: Enforcer) -> None:
    assert all(handler.handler(event)["ok"] for event in EVERY_OPERATION)
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
    assert {(call.resource, call.allowed) for call in enforcer.calls} == {(table_arn, True)}


def test_the_calls_made_are_the_calls_the_code_check_found(table: Any, enforcer: Enforcer) -> None:
    for event in EVERY_OPERATION:
        handler.handler(event)
    assert sorted({call.action for call in enforcer.calls}) == list(analyse(PROJECT_DIR / "lambda").actions)


def test_a_call_the_policy_does_not_allow_is_refused_as_aws_would(created_table: Any) -> None:
    enforcer = enforce(module_policy(access=("dynamodb:GetItem",)))
    answer = handler.handler({"action": "put", "item": ITEM})
    assert answer["error"] == {
        "type": "AccessDeniedException",
        "message": f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{FUNCTION} is not authorized to perform: dynamodb:PutItem "
        f"on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE} because no identity-based policy allows the dynamodb:PutItem action",
    }
    assert [(c.action, c.allowed) for c in enforcer.calls] == [("dynamodb:PutItem", False)]
    assert "Item" not in created_table.get_item(Key={"pk": "user#1", "sk": "profile"})
