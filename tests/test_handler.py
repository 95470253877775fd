"""The function's code against moto's in-process DynamoDB (mock_aws), IAM enforced, with DynamoDB's 4 KB expression limit."""

from __future__ import annotations

import io
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import DYNAMODB_CONTEXT
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

import handler
from lambda_dynamodb.testing.enforcer import Enforcer, assumed_role_principal, attached_policies
from lambda_dynamodb import ArnContext, permission_plan
from lambda_dynamodb.iam.access import REFERENCE_ACTIONS
from lambda_dynamodb.analysis import analyse

from conftest import PROJECT_DIR, module_settings

TABLE = "SampleTable"


REGION, ACCOUNT = "eu-west-1", "123456789012"
ROLE, FUNCTION = "MyLambdaRole", "MyLambdaFunction"


@dataclass(frozen=True)
class FakeLambdaContext:
    """What Lambda passes as ``context``: the fields Powertools' ``inject_lambda_context`` reads."""

    function_name: str = FUNCTION
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: What ``get_remaining_time_in_millis`` answers (the same on every call: the handler reads it on
    #: entry); 30 s by default, so the tests on moto never run out of time.
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


CONTEXT = FakeLambdaContext()


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
    monkeypatch.setenv(handler.KEY_NAMES_VARIABLE, "pk,sk")
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


#: DynamoDB refuses an expression over 4 KB; moto does not check.
MAX_EXPRESSION_BYTES = 4096


@pytest.fixture()
def expression_limit(enforcer: Enforcer) -> None:
    """DynamoDB's 4 KB expression limit, answered as DynamoDB does, on the handler's calls."""

    def refuse_long_expressions(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        request = json.loads(params["body"] or b"{}")
        too_long = [name for name, value in request.items() if name.endswith("Expression") and len(value.encode()) > MAX_EXPRESSION_BYTES]
        if not too_long:
            return None
        message = f"Invalid {too_long[0]}: Expression size has exceeded the maximum allowed size"
        parsed = {"Error": {"Code": "ValidationException", "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse("https://dynamodb.invalid/", 400, {}, None), parsed

    # The session the enforcer hooked: the handler's client, made later, is hooked too.
    boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", refuse_long_expressions)


@pytest.fixture()
def table(created_table: Any, enforcer: Enforcer, expression_limit: None) -> Any:
    return created_table


ITEM = {"pk": "user#1", "sk": "profile", "name": "Ada", "score": 1.5}


def test_put_then_get(table: Any) -> None:
    assert handler.handler({"action": "put", "item": ITEM}, CONTEXT)["ok"] is True
    answer = handler.handler({"action": "get", "key": {"pk": "user#1", "sk": "profile"}}, CONTEXT)
    assert answer == {"ok": True, "action": "get", "found": True, "item": ITEM}


def test_get_missing_item_is_not_found(table: Any) -> None:
    answer = handler.handler({"action": "get", "key": {"pk": "nobody", "sk": "x"}}, CONTEXT)
    assert (answer["ok"], answer["found"], answer["item"]) == (True, False, None)


def test_query_by_partition_key(table: Any) -> None:
    for sk in ("a", "b"):
        handler.handler({"action": "put", "item": {"pk": "user#1", "sk": sk}}, CONTEXT)
    handler.handler({"action": "put", "item": {"pk": "user#2", "sk": "a"}}, CONTEXT)
    answer = handler.handler({"action": "query", "partition_key": {"name": "pk", "value": "user#1"}}, CONTEXT)
    assert (answer["count"], [i["sk"] for i in answer["items"]]) == (2, ["a", "b"])


def test_scan_respects_limit(table: Any) -> None:
    for sk in ("a", "b", "c"):
        handler.handler({"action": "put", "item": {"pk": "p", "sk": sk}}, CONTEXT)
    assert handler.handler({"action": "scan", "limit": 2}, CONTEXT)["count"] == 2


def test_update_changes_an_existing_item(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    answer = handler.handler({"action": "update", "key": {"pk": "user#1", "sk": "profile"}, "set": {"name": "Grace", "score": 2}}, CONTEXT)
    assert answer["item"] == {**ITEM, "name": "Grace", "score": 2}


def test_update_refuses_a_missing_item(table: Any) -> None:
    answer = handler.handler({"action": "update", "key": {"pk": "ghost", "sk": "x"}, "set": {"name": "x"}}, CONTEXT)
    assert (answer["ok"], answer["error"]["type"]) == (False, "BadRequest")
    assert "no item has this key" in answer["error"]["message"]
    assert "Item" not in table.get_item(Key={"pk": "ghost", "sk": "x"})


def test_put_refuses_to_overwrite(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    answer = handler.handler({"action": "put", "item": {**ITEM, "name": "Mallory"}}, CONTEXT)
    assert (answer["ok"], answer["error"]["type"]) == (False, "BadRequest")
    assert table.get_item(Key={"pk": "user#1", "sk": "profile"})["Item"]["name"] == "Ada"


def test_put_overwrites_when_asked(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    assert handler.handler({"action": "put", "item": {**ITEM, "name": "Grace"}, "overwrite": True}, CONTEXT)["ok"] is True
    assert table.get_item(Key={"pk": "user#1", "sk": "profile"})["Item"]["name"] == "Grace"


# --- the key, from TABLE_KEY_NAMES ------------------------------------------------------------

WIDE_ITEM = {"pk": "wide", "sk": "1", **{f"attribute_{i:03}": i for i in range(198)}}


def test_put_of_an_item_with_200_attributes_is_accepted(table: Any) -> None:
    # The condition tests the partition key alone: every attribute would exceed DynamoDB's 4 KB.
    assert handler.handler({"action": "put", "item": WIDE_ITEM}, CONTEXT)["ok"] is True
    assert len(table.get_item(Key={"pk": "wide", "sk": "1"})["Item"]) == 200


def test_put_of_an_item_with_200_attributes_refuses_to_overwrite(table: Any) -> None:
    handler.handler({"action": "put", "item": WIDE_ITEM}, CONTEXT)
    answer = handler.handler({"action": "put", "item": {"pk": "wide", "sk": "1", "name": "Mallory"}}, CONTEXT)
    assert (answer["ok"], answer["error"]["type"]) == (False, "BadRequest")
    assert "name" not in table.get_item(Key={"pk": "wide", "sk": "1"})["Item"]


def test_put_of_a_new_item_under_an_existing_partition_is_accepted(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    assert handler.handler({"action": "put", "item": {**ITEM, "sk": "settings"}}, CONTEXT)["ok"] is True


def test_put_without_key_names_is_not_configured(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(handler.KEY_NAMES_VARIABLE)
    answer = handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    assert (answer["error"]["type"], "TABLE_KEY_NAMES" in answer["error"]["message"]) == ("NotConfigured", True)
    assert "Item" not in table.get_item(Key={"pk": "user#1", "sk": "profile"})


def test_put_with_empty_key_names_is_not_configured(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handler.KEY_NAMES_VARIABLE, " , ")
    answer = handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    assert (answer["error"]["type"], "TABLE_KEY_NAMES" in answer["error"]["message"]) == ("NotConfigured", True)


def test_put_that_may_overwrite_needs_no_key_names(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(handler.KEY_NAMES_VARIABLE)
    assert handler.handler({"action": "put", "item": ITEM, "overwrite": True}, CONTEXT)["ok"] is True


def test_put_of_an_item_without_its_sort_key_names_it(table: Any) -> None:
    answer = handler.handler({"action": "put", "item": {"pk": "user#1", "name": "Ada"}}, CONTEXT)
    assert answer["error"] == {"type": "BadRequest", "message": "item must carry the table's key attributes pk, sk; missing: sk"}


def test_put_on_a_partition_key_only_table_checks_that_key(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handler.KEY_NAMES_VARIABLE, "pk")
    answer = handler.handler({"action": "put", "item": {"sk": "profile"}}, CONTEXT)
    assert answer["error"]["message"] == "item must carry the table's key attributes pk; missing: pk"


def test_update_with_the_key_in_another_order_changes_the_item(table: Any) -> None:
    handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    answer = handler.handler({"action": "update", "key": {"sk": "profile", "pk": "user#1"}, "set": {"name": "Grace"}}, CONTEXT)
    assert answer["item"] == {**ITEM, "name": "Grace"}


@pytest.mark.parametrize("key", [{"pk": "user#1", "id": "profile"}, {"pk": "user#1"}, {"pk": "user#1", "sk": "profile", "name": "Ada"}])
def test_update_with_other_key_names_names_the_expected_ones(table: Any, key: dict[str, str]) -> None:
    answer = handler.handler({"action": "update", "key": key, "set": {"name": "Grace"}}, CONTEXT)
    assert (answer["error"]["type"], answer["error"]["message"]) == (
        "BadRequest",
        f"key must hold exactly the table's key attributes pk, sk; got {', '.join(key)}",
    )


def test_update_without_key_names_is_not_configured(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    monkeypatch.delenv(handler.KEY_NAMES_VARIABLE)
    answer = handler.handler({"action": "update", "key": {"pk": "user#1", "sk": "profile"}, "set": {"name": "Grace"}}, CONTEXT)
    assert (answer["error"]["type"], "TABLE_KEY_NAMES" in answer["error"]["message"]) == ("NotConfigured", True)


@pytest.mark.parametrize("number", [1e300, 1e-300, 10**40, float("nan"), float("inf")])
def test_a_number_dynamodb_cannot_hold_is_a_bad_request(table: Any, number: float) -> None:
    answer = handler.handler({"action": "put", "item": {**ITEM, "score": number}}, CONTEXT)
    assert (answer["error"]["type"], "does not fit DynamoDB's numbers" in answer["error"]["message"]) == ("BadRequest", True)


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
    answer = handler.handler(event, CONTEXT)
    assert answer["ok"] is False and answer["error"]["type"] == "BadRequest"
    assert message in answer["error"]["message"]


def test_dynamodb_rejection_is_an_error_response(table: Any) -> None:
    answer = handler.handler({"action": "get", "key": {"wrong": "key"}}, CONTEXT)
    assert (answer["ok"], answer["error"]["type"]) == (False, "ValidationException")


def test_missing_table_variable_is_a_clear_error(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(handler.TABLE_NAME_VARIABLE)
    answer = handler.handler({"action": "scan"}, CONTEXT)
    assert answer["error"] == {
        "type": "NotConfigured",
        "message": "environment variable TABLE_NAME is not set: it must name the DynamoDB table",
    }


@pytest.fixture()
def logs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[dict[str, Any]]]:
    """Every line the handler's logger writes, each parsed as JSON (so a line that is not JSON fails)."""
    # The logger's stream is the sys.stdout of import time, which pytest's capsys does not replace.
    stream = io.StringIO()
    monkeypatch.setattr(handler.logger.registered_handler, "stream", stream)
    return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]


def test_logs_are_json_lines(table: Any, logs: Callable[[], list[dict[str, Any]]]) -> None:
    handler.handler({"action": "scan"}, CONTEXT)
    handler.handler({"action": "drop"}, CONTEXT)
    assert [(r["level"], r["action"]) for r in logs()] == [("INFO", "scan"), ("WARNING", "drop")]


def test_every_log_line_has_level_message_service_and_the_request_id(table: Any, logs: Callable[[], list[dict[str, Any]]]) -> None:
    context = FakeLambdaContext(aws_request_id=str(uuid.uuid4()))
    for event in ({"action": "scan"}, {"action": "drop"}, {"action": "get", "key": {"wrong": "key"}}):
        handler.handler(event, context)
    fields = [(bool(r["level"]), bool(r["message"]), r["service"], r["function_request_id"]) for r in logs()]
    assert fields == [(True, True, "sample-table-api", context.aws_request_id)] * 3


def test_a_served_request_logs_info_with_its_action(table: Any, logs: Callable[[], list[dict[str, Any]]]) -> None:
    handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    assert [(r["level"], r["message"], r["action"]) for r in logs()] == [("INFO", "request served", "put")]


def test_a_refused_event_logs_a_warning_with_the_error_type(table: Any, logs: Callable[[], list[dict[str, Any]]]) -> None:
    handler.handler({"action": "scan", "limit": 0}, CONTEXT)
    assert [(r["level"], r["error"], r["action"]) for r in logs()] == [("WARNING", "BadRequest", "scan")]


def test_an_aws_failure_logs_an_error_with_its_type(table: Any, logs: Callable[[], list[dict[str, Any]]]) -> None:
    handler.handler({"action": "get", "key": {"wrong": "key"}}, CONTEXT)
    assert [(r["level"], r["error"], r["action"]) for r in logs()] == [("ERROR", "ValidationException", "get")]


def test_missing_configuration_logs_an_error(table: Any, logs: Callable[[], list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(handler.TABLE_NAME_VARIABLE)
    handler.handler({"action": "scan"}, CONTEXT)
    assert [(r["level"], r["error"]) for r in logs()] == [("ERROR", "NotConfigured")]


def test_batch_write_writes_every_item_in_chunks(table: Any) -> None:
    items = [{"pk": "batch", "sk": f"{i:03}"} for i in range(60)]
    assert handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)["written"] == 60
    assert table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "batch"})["Count"] == 60


def test_batch_write_needs_explicit_overwrite(table: Any) -> None:
    answer = handler.handler({"action": "batch_write", "items": [ITEM]}, CONTEXT)
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
    assert handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)["written"] == 3
    assert seen == [3, 1, 1]
    assert table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "retry"})["Count"] == 3


def test_batch_write_reports_what_still_failed(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _throttling_for(handler.BATCH_ATTEMPTS, monkeypatch)
    items = [{"pk": "stuck", "sk": str(i)} for i in range(3)]
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)
    assert (answer["ok"], answer["error"]["type"]) == (False, "UnprocessedItems")
    assert answer["error"]["message"] == "1 of 3 items were not written after 5 attempts"
    assert answer["unprocessed"] == [{"pk": "stuck", "sk": "0"}]
    assert table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "stuck"})["Count"] == 2


def test_batch_write_backs_off_exponentially(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _throttling_for(handler.BATCH_ATTEMPTS, monkeypatch)
    sleeps: list[float] = []
    monkeypatch.setattr(handler.time, "sleep", sleeps.append)
    handler.handler({"action": "batch_write", "items": [{"pk": "slow", "sk": "0"}], "overwrite": True}, CONTEXT)
    assert sleeps == [handler.BACKOFF_SECONDS * 2**attempt for attempt in range(handler.BATCH_ATTEMPTS - 1)]


BULK = [{"pk": "bulk", "sk": f"{i:03}", "n": i} for i in range(handler.MAX_BATCH_ITEMS)]
#: The bulk items throttling holds back: one in seven, spread over every chunk.
THROTTLED = {item["sk"] for item in BULK if item["n"] % 7 == 0}


def _throttling_items(sks: set[str], times: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call leaves the items whose sk is in ``sks`` unprocessed the first ``times`` times they are sent."""
    real = handler.write_batch
    sent: dict[str, int] = {}

    def flaky(client: Any, request_items: dict[str, Any]) -> dict[str, Any]:
        name, requests = next(iter(request_items.items()))
        held, passed = [], []
        for request in requests:
            sk = request["PutRequest"]["Item"]["sk"]
            sent[sk] = sent.get(sk, 0) + 1
            (held if sk in sks and sent[sk] <= times else passed).append(request)
        left = held + (real(client, {name: passed}).get(name, []) if passed else [])
        return {name: left} if left else {}

    monkeypatch.setattr(handler, "write_batch", flaky)
    monkeypatch.setattr(handler.time, "sleep", lambda seconds: None)


def _sks_in_table(table: Any, pk: str) -> set[str]:
    return {item["sk"] for item in table.query(KeyConditionExpression=Key("pk").eq(pk))["Items"]}


def test_batch_of_500_throttled_within_the_retries_is_all_written(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _throttling_items(THROTTLED, handler.BATCH_ATTEMPTS - 1, monkeypatch)
    answer = handler.handler({"action": "batch_write", "items": BULK, "overwrite": True}, CONTEXT)
    assert (answer["written"], len(_sks_in_table(table, "bulk"))) == (500, 500)


def test_batch_of_500_throttled_beyond_the_retries_reports_exactly_the_unwritten(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _throttling_items(THROTTLED, handler.BATCH_ATTEMPTS, monkeypatch)
    answer = handler.handler({"action": "batch_write", "items": BULK, "overwrite": True}, CONTEXT)
    assert sorted(answer["unprocessed"], key=lambda item: item["sk"]) == [item for item in BULK if item["sk"] in THROTTLED]
    assert _sks_in_table(table, "bulk") == {item["sk"] for item in BULK} - THROTTLED


@pytest.mark.parametrize("items", [[], [{}], "x", [{"pk": "a"}] * 501])
def test_batch_write_rejects_bad_items(table: Any, items: Any) -> None:
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)
    assert answer["error"]["message"] == "items must be a list of 1 to 500 non-empty JSON objects"


# --- any event: an answer, never an exception --------------------------------------------------

# Where DynamoDB answers ValidationException, moto raises TypeError on a get or update whose key
# attribute holds a list or an object, and stores an item with an empty attribute name (its next
# scan then fails): key attributes get scalars, other objects never name them, and no name is empty.
KEY_NAMES = ("pk", "sk")
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
OTHER_NAMES = st.text(min_size=1).filter(lambda name: name not in KEY_NAMES)
#: Any JSON value (within the limits above).
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(OTHER_NAMES, children, max_size=4),
    max_leaves=20,
)
KEY_VALUES = st.text(min_size=1, max_size=3) | SCALARS
#: JSON objects shaped like items and keys (often with the table's key attributes), so that many reach DynamoDB.
ATTRIBUTES = st.builds(
    lambda key, others: {**others, **key},
    st.fixed_dictionaries({}, optional={name: KEY_VALUES for name in KEY_NAMES}),
    st.dictionaries(OTHER_NAMES, JSON_VALUES, max_size=3),
).filter(bool)
#: The real fields, shaped like what the actions read.
SHAPED_FIELDS = {
    "key": ATTRIBUTES,
    "item": ATTRIBUTES,
    "set": ATTRIBUTES,
    "items": st.lists(ATTRIBUTES, min_size=1, max_size=30),
    "partition_key": st.fixed_dictionaries({"name": st.sampled_from(KEY_NAMES) | st.text(), "value": KEY_VALUES | JSON_VALUES}),
    "limit": st.integers(min_value=-1, max_value=101),
    "overwrite": st.booleans(),
}
#: Events naming a real action, with random fields: every real one shaped, or some of them shaped or
#: any JSON value, and others.
ACTION_EVENTS = st.builds(
    lambda action, fields, others: {**others, **fields, "action": action},
    st.sampled_from(sorted(handler.OPERATIONS)),
    st.fixed_dictionaries(SHAPED_FIELDS)
    | st.fixed_dictionaries({}, optional={name: values | JSON_VALUES for name, values in SHAPED_FIELDS.items()}),
    st.dictionaries(st.text(), JSON_VALUES, max_size=2),
)
NOT_AN_ACTION = JSON_VALUES.filter(lambda event: not (isinstance(event, dict) and isinstance(event.get("action"), str)))
#: One moto table for every example (it only grows): building one per example would be slow.
EVERY_EXAMPLE_ON_ONE_TABLE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _is_error_answer(answer: dict[str, Any]) -> bool:
    error = answer.get("error")
    return (
        answer["ok"] is False
        and isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and bool(error["type"])
        and isinstance(error.get("message"), str)
        and bool(error["message"])
    )


@EVERY_EXAMPLE_ON_ONE_TABLE
@given(event=NOT_AN_ACTION)
def test_any_json_without_an_action_gets_a_bad_request_answer(table: Any, event: Any) -> None:
    answer = handler.handler(event, CONTEXT)
    assert _is_error_answer(answer) and answer["error"]["type"] == "BadRequest"


@EVERY_EXAMPLE_ON_ONE_TABLE
@given(event=ACTION_EVENTS)
def test_any_event_with_an_action_gets_a_json_answer(table: Any, event: dict[str, Any]) -> None:
    answer = handler.handler(event, CONTEXT)
    # Plain JSON: it survives a round trip unchanged.
    assert (answer["ok"] is True or _is_error_answer(answer)) and json.loads(json.dumps(answer)) == answer


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
    assert all(handler.handler(event, CONTEXT)["ok"] for event in EVERY_OPERATION)
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
    assert {(call.resource, call.allowed) for call in enforcer.calls} == {(table_arn, True)}


def test_the_calls_made_are_the_calls_the_code_check_found(table: Any, enforcer: Enforcer) -> None:
    for event in EVERY_OPERATION:
        handler.handler(event, CONTEXT)
    assert sorted({call.action for call in enforcer.calls}) == list(analyse(PROJECT_DIR / "lambda").actions)


def test_a_call_the_policy_does_not_allow_is_refused_as_aws_would(created_table: Any) -> None:
    enforcer = enforce(module_policy(access=("dynamodb:GetItem",)))
    answer = handler.handler({"action": "put", "item": ITEM}, CONTEXT)
    assert answer["error"] == {
        "type": "AccessDeniedException",
        "message": f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{FUNCTION} is not authorized to perform: dynamodb:PutItem "
        f"on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE} because no identity-based policy allows the dynamodb:PutItem action",
    }
    assert [(c.action, c.allowed) for c in enforcer.calls] == [("dynamodb:PutItem", False)]
    assert "Item" not in created_table.get_item(Key={"pk": "user#1", "sk": "profile"})


def test_a_batch_with_an_item_missing_its_key_writes_nothing(table: Any) -> None:
    items = [{"pk": "batch", "sk": f"{i:03}"} for i in range(60)]
    del items[30]["sk"]
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)
    assert answer["error"] == {"type": "BadRequest", "message": "items 30 lack the table's key attributes pk, sk: nothing was written"}
    assert table.scan()["Count"] == 0


# --- DynamoDB unreachable: an answer before the function's timeout (real sockets, no moto) ------------


@pytest.fixture()
def outside_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handler's environment without moto, which would answer in DynamoDB's place: each test
    points AWS_ENDPOINT_URL at a local socket."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv(handler.TABLE_NAME_VARIABLE, TABLE)
    monkeypatch.setenv(handler.KEY_NAMES_VARIABLE, "pk,sk")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    # A fresh default session: no enforcer hook of another test, and a new client with the test's timeouts.
    boto3.setup_default_session()
    handler._table_named.cache_clear()
    yield
    boto3.setup_default_session()
    handler._table_named.cache_clear()


@pytest.fixture()
def silent_endpoint(outside_moto: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DynamoDB's endpoint is a socket that accepts connections (the kernel completes them) but never reads or answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield url


@pytest.fixture()
def refusing_endpoint(outside_moto: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """DynamoDB's endpoint is a free port nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    return url


GET = {"action": "get", "key": {"pk": "user#1", "sk": "profile"}}
#: Lambda's default timeout.
THREE_SECONDS = FakeLambdaContext(remaining_ms=3000)


def _timed(event: dict[str, Any], context: FakeLambdaContext) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    answer = handler.handler(event, context)
    return answer, time.monotonic() - started


def test_an_endpoint_that_never_answers_is_a_timeout_error_before_the_functions_timeout(silent_endpoint: str) -> None:
    answer, seconds = _timed(GET, THREE_SECONDS)
    assert (answer["ok"], answer["error"]["type"], seconds < 3.0) == (False, "ReadTimeoutError", True)


def test_a_refused_connection_is_an_error_answered_quickly(refusing_endpoint: str) -> None:
    answer, seconds = _timed(GET, FakeLambdaContext(remaining_ms=10_000))
    assert (answer["ok"], answer["error"]["type"], seconds < 3.0) == (False, "EndpointConnectionError", True)


def test_no_answer_says_so_with_the_endpoint_and_the_timeouts(refusing_endpoint: str) -> None:
    answer = handler.handler(GET, THREE_SECONDS)
    assert answer["error"]["message"] == (
        "DynamoDB did not answer in time (connect timeout 0.375 s, read timeout 1.125 s, 1 attempt): "
        f'Could not connect to the endpoint URL: "{refusing_endpoint}/"'
    )


def test_no_answer_logs_an_error(refusing_endpoint: str, logs: Callable[[], list[dict[str, Any]]]) -> None:
    handler.handler(GET, THREE_SECONDS)
    assert [(r["level"], r["error"], r["action"]) for r in logs()] == [("ERROR", "EndpointConnectionError", "get")]


@pytest.mark.parametrize(
    ("remaining_ms", "connect", "read", "attempts"),
    [
        (10_000, 0.5, 1.5, 2),  # 5 s for a call: 1 s of backoff, two attempts of 2 s split 1:3
        (3_000, 0.375, 1.125, 1),  # 1.5 s for a call: too little for two attempts and the backoff
        (900_000, 2.0, 5.0, 2),  # the caps
        (100, 0.1, 0.1, 1),  # the floor
    ],
)
def test_the_clients_timeouts_follow_the_time_left_when_it_is_made(table: Any, remaining_ms: int, connect: float, read: float, attempts: int) -> None:
    handler.handler({"action": "scan"}, FakeLambdaContext(remaining_ms=remaining_ms))
    config = handler._table_named(TABLE).meta.client.meta.config
    assert (config.connect_timeout, config.read_timeout, config.retries) == (connect, read, {"mode": "standard", "total_max_attempts": attempts})


def test_a_batch_dynamodb_never_answers_reports_every_item_before_the_functions_timeout(silent_endpoint: str) -> None:
    items = [{"pk": "batch", "sk": f"{i:03}"} for i in range(60)]
    answer, seconds = _timed({"action": "batch_write", "items": items, "overwrite": True}, THREE_SECONDS)
    assert (answer["error"]["type"], answer["unprocessed"], seconds < 3.0) == ("UnprocessedItems", items, True)


def test_a_batch_without_time_for_one_call_writes_nothing_and_says_time_ran_out(table: Any) -> None:
    handler.handler({"action": "scan"}, FakeLambdaContext(remaining_ms=10_000))  # the client: 5 s per call at worst
    items = [{"pk": "batch", "sk": f"{i:03}"} for i in range(60)]
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, FakeLambdaContext(remaining_ms=4_000))
    assert (answer["error"]["type"], answer["unprocessed"], table.scan()["Count"]) == ("UnprocessedItems", items, 0)
    assert answer["error"]["message"].startswith("time ran out (")
    assert answer["error"]["message"].endswith("s left, one DynamoDB call may take 5 s): 60 of 60 items were not written")


def test_a_batch_the_time_stops_midway_reports_exactly_the_items_not_written(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = handler.write_batch

    def then_out_of_time(client: Any, request_items: dict[str, Any]) -> dict[str, Any]:
        unprocessed = real(client, request_items)
        monkeypatch.setattr(handler, "_deadline", time.monotonic())  # the invocation's time is up
        return unprocessed

    monkeypatch.setattr(handler, "write_batch", then_out_of_time)
    items = [{"pk": "batch", "sk": f"{i:03}"} for i in range(60)]
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)
    assert (answer["unprocessed"], _sks_in_table(table, "batch")) == (items[25:], {item["sk"] for item in items[:25]})


# --- batches say what was written, whatever fails; values come back exact; nesting is bounded ----


#: The handler's own, before any test wraps it (a hypothesis example must not wrap the last one's wrapper).
REAL_WRITE_BATCH = handler.write_batch


def _failing_call(call: int, failure: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    """BatchWriteItem call number ``call`` (from 1) raises ``failure``; the others reach moto."""
    real = REAL_WRITE_BATCH
    calls: list[int] = []

    def failing(client: Any, request_items: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == call:
            raise failure
        return real(client, request_items)

    monkeypatch.setattr(handler, "write_batch", failing)


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} from DynamoDB"}}, "BatchWriteItem")


#: What a BatchWriteItem call can fail with: DynamoDB refusing it, throttling beyond botocore's
#: retries, no answer, and a failure of anything else.
BATCH_FAILURES = [
    _client_error("ValidationException"),
    _client_error("ProvisionedThroughputExceededException"),
    _client_error("AccessDeniedException"),
    EndpointConnectionError(endpoint_url="https://dynamodb.invalid"),
    RuntimeError("something else broke"),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=1, max_value=80), call=st.integers(min_value=1, max_value=4), failure=st.sampled_from(BATCH_FAILURES))
def test_a_batch_failing_in_any_chunk_answers_exactly_what_was_written_and_what_was_not(
    table: Any, monkeypatch: pytest.MonkeyPatch, count: int, call: int, failure: BaseException
) -> None:
    pk = f"any-failure-{uuid.uuid4()}"
    items = [{"pk": pk, "sk": f"{i:03}", "n": i} for i in range(count)]
    _failing_call(call, failure, monkeypatch)
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)
    written = _sks_in_table(table, pk)
    # The failing call's chunk and every later one are not written; the chunks before it are.
    expected = set(range(min((call - 1) * handler.BATCH_SIZE, count), count))
    assert (answer["ok"], answer["written"], answer["unprocessed_indexes"]) == (not expected, count - len(expected), sorted(expected))
    assert answer["unprocessed"] == [items[i] for i in sorted(expected)]
    assert written == {item["sk"] for i, item in enumerate(items) if i not in expected}
    assert json.loads(json.dumps(answer)) == answer


def test_a_batch_dynamodb_refuses_in_its_second_chunk_says_the_first_25_were_written(table: Any) -> None:
    items = [{"pk": "second", "sk": f"{i:03}"} for i in range(60)]
    items[31] = dict(items[30])  # DynamoDB refuses a call whose keys repeat: the second chunk's
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)
    assert (answer["ok"], answer["error"]["type"], answer["written"]) == (False, "ValidationException", 25)
    assert answer["error"]["message"].endswith(": 35 of 60 items were not written")
    assert (answer["unprocessed"], answer["unprocessed_indexes"]) == (items[25:], list(range(25, 60)))
    assert _sks_in_table(table, "second") == {item["sk"] for item in items[:25]}


def test_a_batch_with_a_bad_value_in_its_second_chunk_writes_nothing_and_says_so(table: Any) -> None:
    items = [{"pk": "late", "sk": f"{i:03}"} for i in range(60)]
    items[40]["n"] = 10**40  # more digits than DynamoDB's numbers hold
    answer = handler.handler({"action": "batch_write", "items": items, "overwrite": True}, CONTEXT)
    assert (answer["error"]["type"], answer["written"], answer["unprocessed_indexes"]) == ("BadRequest", 0, list(range(60)))
    assert answer["unprocessed"] == items and "items[40].n" not in answer["error"]["message"]
    assert table.scan()["Count"] == 0


def test_binary_values_come_back_base64_encoded(table: Any) -> None:
    table.put_item(Item={"pk": "bin", "sk": "1", "blob": b"\x00\xffbytes", "blobs": {b"b", b"a"}, "nested": {"in": [b"\x01"]}})
    answer = handler.handler({"action": "get", "key": {"pk": "bin", "sk": "1"}}, CONTEXT)
    assert answer["item"] == {"pk": "bin", "sk": "1", "blob": "AP9ieXRlcw==", "blobs": ["YQ==", "Yg=="], "nested": {"in": ["AQ=="]}}
    assert json.loads(json.dumps(answer)) == answer


def as_lambda_writes_it(answer: dict[str, Any]) -> str:
    """The answer as Lambda's Python runtime writes it: a Decimal is a raw JSON number, ``str(decimal)``
    (awslambdaric's marshaller: ``simplejson.RawJSON(str(obj))``)."""
    raw: dict[str, str] = {}

    def default(value: Any) -> str:
        if isinstance(value, Decimal):
            token = f"\x00{len(raw)}\x00"
            raw[json.dumps(token)] = str(value)
            return token
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(answer, default=default)
    for token, digits in raw.items():
        text = text.replace(token, digits)
    return text


def _dynamodb_number(digits: int, exponent: int) -> Decimal | None:
    number = Decimal(digits).scaleb(exponent)
    try:
        fits = DYNAMODB_CONTEXT.create_decimal(number) == number
    except DecimalException:
        return None
    return number if fits and (number == 0 or Decimal("1E-130") <= abs(number) < Decimal("1E+126")) else None


#: Numbers DynamoDB holds: up to 38 significant digits, magnitude 1E-130 to below 1E+126.
DYNAMODB_NUMBERS = st.builds(
    _dynamodb_number, st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1), st.integers(min_value=-170, max_value=125)
).filter(lambda number: number is not None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=DYNAMODB_NUMBERS | st.just(Decimal("3.1415926535897932384626433832795028841")))
def test_numbers_come_back_exactly(table: Any, number: Decimal) -> None:
    table.put_item(Item={"pk": "num", "sk": "1", "n": number, "ns": {number, number + 1}, "in": [{"n": number}]})
    answer = handler.handler({"action": "get", "key": {"pk": "num", "sk": "1"}}, CONTEXT)
    read = json.loads(as_lambda_writes_it(answer), parse_float=Decimal, parse_int=Decimal)["item"]
    assert (read["n"], read["in"][0]["n"], sorted(read["ns"])) == (number, number, sorted({number, number + 1}))


#: DynamoDB's nesting limit (lists and maps in an attribute's value, the value itself counted).
DYNAMODB_MAX_DEPTH = 32


def _nested(depth: int, kind: str) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def _events_holding(value: Any) -> list[dict[str, Any]]:
    return [
        {"action": "put", "item": {**ITEM, "deep": value}},
        {"action": "update", "key": {"pk": "user#1", "sk": "profile"}, "set": {"deep": value}},
        {"action": "get", "key": {"pk": "user#1", "sk": value}},
        {"action": "query", "partition_key": {"name": "pk", "value": value}},
        {"action": "batch_write", "items": [{"pk": "deep", "sk": "0"}] * 30 + [{"pk": "deep", "sk": "1", "deep": value}], "overwrite": True},
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(min_value=DYNAMODB_MAX_DEPTH + 1, max_value=5000), kind=st.sampled_from(["list", "map"]), which=st.integers(0, 4))
def test_input_nested_deeper_than_dynamodb_allows_is_a_named_error(table: Any, depth: int, kind: str, which: int) -> None:
    event = _events_holding(_nested(depth, kind))[which]
    answer = handler.handler(event, CONTEXT)
    assert (answer["ok"], answer["error"]["type"]) == (False, "BadRequest")
    assert f"more than {DYNAMODB_MAX_DEPTH} levels deep (DynamoDB's nesting limit)" in answer["error"]["message"]
    assert len(answer["error"]["message"]) < 200 and table.scan()["Count"] == 0


def test_input_nested_as_deep_as_dynamodb_allows_is_written_and_read_back(table: Any) -> None:
    item = {**ITEM, "deep": _nested(DYNAMODB_MAX_DEPTH, "map"), "deeper": _nested(DYNAMODB_MAX_DEPTH, "list")}
    assert handler.handler({"action": "put", "item": item}, CONTEXT)["ok"] is True
    assert handler.handler({"action": "get", "key": {"pk": "user#1", "sk": "profile"}}, CONTEXT)["item"] == item
