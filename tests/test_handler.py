"""The function's code against moto's in-process DynamoDB (mock_aws)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import handler

TABLE = "SampleTable"


@pytest.fixture()
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv(handler.TABLE_NAME_VARIABLE, TABLE)
    with mock_aws():
        created = boto3.resource("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield created


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
        ({}, "action None is not one of get, put, query, scan, update"),
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
