"""The four handlers, each run in-process against moto's in-memory DynamoDB (no deploy).

Each handler is loaded from its file under ``functions/`` after its tables exist, the way
Lambda imports it at cold start with its environment set.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from moto import mock_aws

FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"
REGION = "eu-west-1"


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's AWS, with Orders and Archive, and the variables the constructs set."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("TABLE_NAME", "Orders")
    monkeypatch.setenv("ARCHIVE_TABLE", "Archive")
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        for name in ("Orders", "Archive"):
            dynamodb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield dynamodb


@pytest.fixture()
def load(aws: Any) -> Iterator[Callable[[str], ModuleType]]:
    """``load("sync")``: functions/sync/handler.py, imported fresh (a cold start)."""
    loaded: list[str] = []

    def load_one(folder: str) -> ModuleType:
        name = f"orders_{folder}_handler"
        spec = importlib.util.spec_from_file_location(name, FUNCTIONS / folder / "handler.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loaded.append(name)
        spec.loader.exec_module(module)
        return module

    yield load_one
    for name in loaded:
        sys.modules.pop(name, None)


def put_order(aws: Any, customer: str = "c-1", order_id: str = "o-1", **extra: Any) -> dict[str, Any]:
    item = {"pk": f"CUSTOMER#{customer}", "sk": f"ORDER#{order_id}", "customer": customer, "order_id": order_id, **extra}
    aws.Table("Orders").put_item(Item=item)
    return item


def archive_items(aws: Any) -> list[dict[str, Any]]:
    return aws.Table("Archive").scan()["Items"]


def stream_record(event_name: str, item: dict[str, Any] | None, sequence: str, event_id: str = "e-1") -> dict[str, Any]:
    serialize = TypeSerializer().serialize
    change: dict[str, Any] = {"SequenceNumber": sequence, "ApproximateCreationDateTime": 1764568800, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if item is not None:
        change["Keys"] = {"pk": serialize(item["pk"]), "sk": serialize(item["sk"])}
        change["NewImage"] = {name: serialize(value) for name, value in item.items()}
    return {"eventID": event_id, "eventName": event_name, "eventSource": "aws:dynamodb", "awsRegion": REGION, "dynamodb": change}


def sqs_message(body: str, message_id: str = "m-1") -> dict[str, Any]:
    return {"messageId": message_id, "receiptHandle": "r", "body": body, "eventSource": "aws:sqs", "awsRegion": REGION}


def url_event(query: dict[str, str] | None, method: str = "GET") -> dict[str, Any]:
    return {"version": "2.0", "rawPath": "/", "queryStringParameters": query, "requestContext": {"http": {"method": method}}}


# --- orders-sync -------------------------------------------------------------------------------


def test_sync_copies_the_order_into_the_archive(aws: Any, load: Callable[[str], ModuleType]) -> None:
    order = put_order(aws, total=Decimal("12.50"))
    answer = load("sync").handler({"customer": "c-1", "id": "o-1"}, None)
    assert answer["archived"] is True
    (entry,) = archive_items(aws)
    assert (entry["pk"], entry["sk"]) == (answer["pk"], answer["sk"])
    assert entry["sk"].startswith("ORDER#o-1#SNAPSHOT#")
    assert entry["order"] == order and entry["source"] == "orders-sync"


def test_sync_reports_a_missing_order_and_archives_nothing(aws: Any, load: Callable[[str], ModuleType]) -> None:
    answer = load("sync").handler({"customer": "c-1", "id": "missing"}, None)
    assert answer == {"archived": False, "error": "not_found", "pk": "CUSTOMER#c-1", "sk": "ORDER#missing"}
    assert archive_items(aws) == []


def test_sync_refuses_an_event_without_customer_and_id(aws: Any, load: Callable[[str], ModuleType]) -> None:
    assert load("sync").handler({"id": "o-1"}, None)["error"] == "bad_request"


# --- orders-stream -----------------------------------------------------------------------------


def test_stream_archives_each_insert_and_modify(aws: Any, load: Callable[[str], ModuleType]) -> None:
    item = {"pk": "CUSTOMER#c-1", "sk": "ORDER#o-1", "total": Decimal("3")}
    event = {"Records": [stream_record("INSERT", item, "100", "e-1"), stream_record("MODIFY", {**item, "total": Decimal("4")}, "101", "e-2")]}
    assert load("stream").handler(event, None) == {"batchItemFailures": []}
    entries = sorted(archive_items(aws), key=lambda e: e["sk"])
    assert [e["sk"] for e in entries] == ["ORDER#o-1#INSERT#100", "ORDER#o-1#MODIFY#101"]
    assert [e["order"]["total"] for e in entries] == [3, 4]
    assert {e["source"] for e in entries} == {"orders-stream"}


def test_stream_leaves_removals_alone(aws: Any, load: Callable[[str], ModuleType]) -> None:
    event = {"Records": [stream_record("REMOVE", None, "102")]}
    assert load("stream").handler(event, None) == {"batchItemFailures": []}
    assert archive_items(aws) == []


def test_stream_reports_the_first_failure_and_every_record_after_it(aws: Any, load: Callable[[str], ModuleType]) -> None:
    good = {"pk": "CUSTOMER#c-1", "sk": "ORDER#o-1"}
    broken = stream_record("INSERT", good, "201")
    del broken["dynamodb"]["NewImage"]  # a record the handler cannot archive
    event = {"Records": [stream_record("INSERT", good, "200"), broken, stream_record("INSERT", good, "202")]}
    answer = load("stream").handler(event, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "201"}, {"itemIdentifier": "202"}]}
    assert [e["sk"] for e in archive_items(aws)] == ["ORDER#o-1#INSERT#200"]


# --- orders-intake -----------------------------------------------------------------------------


def test_intake_stores_each_message_as_an_order(aws: Any, load: Callable[[str], ModuleType]) -> None:
    body = json.dumps({"customer": "c-2", "id": "o-9", "items": [{"sku": "tea", "quantity": 2}], "total": 12.5})
    assert load("intake").handler({"Records": [sqs_message(body)]}, None) == {"batchItemFailures": []}
    item = aws.Table("Orders").get_item(Key={"pk": "CUSTOMER#c-2", "sk": "ORDER#o-9"})["Item"]
    assert (item["status"], item["total"], item["items"]) == ("received", Decimal("12.5"), [{"sku": "tea", "quantity": 2}])


def test_intake_stores_a_redelivered_message_once(aws: Any, load: Callable[[str], ModuleType]) -> None:
    handler = load("intake").handler
    body = json.dumps({"customer": "c-2", "id": "o-9", "total": "1"})
    handler({"Records": [sqs_message(body)]}, None)
    aws.Table("Orders").update_item(
        Key={"pk": "CUSTOMER#c-2", "sk": "ORDER#o-9"}, UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": "paid"}
    )
    assert handler({"Records": [sqs_message(body)]}, None) == {"batchItemFailures": []}
    assert aws.Table("Orders").get_item(Key={"pk": "CUSTOMER#c-2", "sk": "ORDER#o-9"})["Item"]["status"] == "paid"


def test_intake_returns_only_the_bad_messages_to_the_queue(aws: Any, load: Callable[[str], ModuleType]) -> None:
    messages = [sqs_message("not json", "m-1"), sqs_message(json.dumps({"customer": "c-3", "id": "o-1"}), "m-2"), sqs_message('{"id": "o-2"}', "m-3")]
    assert load("intake").handler({"Records": messages}, None) == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]}
    assert [i["sk"] for i in aws.Table("Orders").scan()["Items"]] == ["ORDER#o-1"]


# --- orders-http -------------------------------------------------------------------------------


def test_http_answers_an_order_by_id(aws: Any, load: Callable[[str], ModuleType]) -> None:
    put_order(aws, total=Decimal("12.50"))
    answer = load("http").handler(url_event({"customer": "c-1", "id": "o-1"}), None)
    assert answer["statusCode"] == 200 and answer["headers"]["content-type"] == "application/json"
    assert json.loads(answer["body"])["order"]["total"] == 12.5


def test_http_answers_404_for_an_unknown_order(aws: Any, load: Callable[[str], ModuleType]) -> None:
    assert load("http").handler(url_event({"customer": "c-1", "id": "nope"}), None)["statusCode"] == 404


def test_http_lists_a_customers_orders_newest_first_in_pages(aws: Any, load: Callable[[str], ModuleType]) -> None:
    for number in range(30):
        put_order(aws, order_id=f"{number:03}")
    put_order(aws, customer="c-other", order_id="x")
    handler = load("http").handler
    first = json.loads(handler(url_event({"customer": "c-1"}), None)["body"])
    assert len(first["orders"]) == 25 and first["orders"][0]["order_id"] == "029" and first["next"]
    second = json.loads(handler(url_event({"customer": "c-1", "next": first["next"]}), None)["body"])
    assert [o["order_id"] for o in second["orders"]] == ["004", "003", "002", "001", "000"] and second["next"] is None


def test_http_allows_get_only(aws: Any, load: Callable[[str], ModuleType]) -> None:
    assert load("http").handler(url_event({"customer": "c-1"}, method="POST"), None)["statusCode"] == 405


def test_http_needs_a_customer(aws: Any, load: Callable[[str], ModuleType]) -> None:
    assert load("http").handler(url_event(None), None)["statusCode"] == 400


def test_http_refuses_a_page_token_it_did_not_give(aws: Any, load: Callable[[str], ModuleType]) -> None:
    assert load("http").handler(url_event({"customer": "c-1", "next": "%%%"}), None)["statusCode"] == 400
