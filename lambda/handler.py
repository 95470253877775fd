"""A Lambda function that reads and writes one DynamoDB table (boto3, with Powertools for AWS Lambda).

Event: ``{"action": ..., ...}`` with action one of

- ``get``    ``{"key": {...}}``
- ``query``  ``{"partition_key": {"name": "pk", "value": "..."}, "limit": 25}``
- ``scan``   ``{"limit": 25}``
- ``put``    ``{"item": {...}, "overwrite": false}``; refuses to replace an existing item
  unless ``overwrite`` is true; without it, the item must carry every key attribute
- ``update`` ``{"key": {...}, "set": {"attribute": value, ...}}``; the key holds exactly the
  table's key attributes, in any order; refuses a missing item
- ``batch_write`` ``{"items": [{...}, ...], "overwrite": true}``; DynamoDB cannot check batch puts
  for existing items, so replacing is only done when asked; unprocessed items are retried with
  exponential backoff, and whatever still fails, or is not sent for lack of time (see Timeouts), is
  reported back

Answer: ``{"ok": true, "action": ..., ...}`` or ``{"ok": false, "action": ..., "error": {"type":
..., "message": ...}}`` (plus ``"unprocessed": [item, ...]`` when a batch is not fully written);
a bad event never raises. JSON numbers must fit DynamoDB's (38 digits, magnitude 1E-130 to below 1E+126).

Environment (the module sets the first two):

- ``TABLE_NAME``       the table
- ``TABLE_KEY_NAMES``  its key attribute names, partition key first: ``pk,sk`` or ``pk``
- ``POWERTOOLS_SERVICE_NAME`` the ``service`` of every log line and trace (default
  ``sample-table-api``); Powertools reads its other settings (``POWERTOOLS_LOG_LEVEL``, ...) itself

Timeouts: boto3's defaults (60 s to connect, 60 s to read, legacy retries: 10 for DynamoDB) would
keep a function that cannot reach DynamoDB (in a VPC without a NAT gateway or a DynamoDB gateway
endpoint) waiting until Lambda kills it with ``Task timed out``, and the caller would get no answer.
Lambda passes no variable with the function's timeout, so the client is made (once per execution
environment) with timeouts derived from ``context.get_remaining_time_in_millis()`` of the invocation
that makes it, T seconds: one DynamoDB call, every attempt and backoff included, may take at most T/2,
leaving the other half to answer. Within that half, two attempts in AWS's ``standard`` retry mode
(which sleeps a random 0 to 1 s before the second) when each can still get a second (T >= 6 s),
otherwise one attempt; each attempt's time is split 1:3 between connecting (TCP and TLS: a few
milliseconds in the region) and waiting for the answer (DynamoDB's latency), capped at 2 s and 5 s,
never below 0.1 s. So 10 s gives 0.5 s + 1.5 s, two attempts, 5 s at worst; 3 s (Lambda's default)
gives one attempt of 0.375 s + 1.125 s; 900 s gives 2 s + 5 s twice plus the backoff, 15 s. The
timeouts bound each wait on the socket; DNS resolution is not bounded by them. A call DynamoDB
does not answer in time is answered as an error naming the endpoint and the timeouts. A batch
write checks, before each chunk and each retry, that the time left still holds one call at worst
(plus a moment to answer); if not, it stops and reports every item not written yet. A batch whose
chunk DynamoDB does not answer stops there too: the chunk may have been written, but resending
it is safe (batch puts replace).

Logs: one JSON object per line on stdout (Powertools ``Logger``) with the Lambda context
(``function_request_id``, ...): INFO for a served request, WARNING for a refused event, ERROR for a
failure of the function or of AWS. Traces: Powertools ``Tracer`` records the handler and every
AWS call as X-Ray subsegments in Lambda (tracing Active) and stays off elsewhere.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from decimal import Decimal, DecimalException
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import DYNAMODB_CONTEXT
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

TABLE_NAME_VARIABLE = "TABLE_NAME"
KEY_NAMES_VARIABLE = "TABLE_KEY_NAMES"
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "sample-table-api"
MAX_LIMIT = 100
#: BatchWriteItem takes at most 25 requests per call.
BATCH_SIZE = 25
MAX_BATCH_ITEMS = 500
BATCH_ATTEMPTS = 5
BACKOFF_SECONDS = 0.05

# Timeouts of the DynamoDB client (see the module docstring).
#: Lambda's longest timeout: the time assumed when no context says how much is left.
LAMBDA_MAX_SECONDS = 900.0
#: The share of the time left at the client's creation one DynamoDB call may take, at worst.
CALL_SHARE = 0.5
#: The longest sleep of the standard retry mode before the n-th retry: a random part of min(2**(n-1), 20) s.
STANDARD_MAX_BACKOFF_SECONDS = 20.0
#: Below this per attempt, one longer attempt is worth more than a retry.
MIN_ATTEMPT_SECONDS = 1.0
CONNECT_SHARE = 0.25
MAX_CONNECT_SECONDS = 2.0
MAX_READ_SECONDS = 5.0
MIN_TIMEOUT_SECONDS = 0.1
#: Time kept after the last call of a batch, to answer.
ANSWER_SECONDS = 0.2

logger = Logger(service=SERVICE)
# Made before any boto3 client: in Lambda it patches botocore, so every AWS call is a subsegment.
tracer = Tracer(service=SERVICE)


class BadRequest(Exception):
    """The event is not a request this function can answer."""


class NotConfigured(Exception):
    """The function's environment lacks what it needs."""


class Unprocessed(Exception):
    """Items of a batch not written: still refused after every retry, or not sent (``reason`` says why)."""

    def __init__(self, items: list[dict[str, Any]], written: int, reason: str | None = None) -> None:
        summary = f"{len(items)} of {len(items) + written} items were not written"
        super().__init__(f"{reason}: {summary}" if reason else f"{summary} after {BATCH_ATTEMPTS} attempts")
        self.items = items


class _Stopped(Exception):
    """A chunk of a batch left (partly) unwritten, and the batch must stop: ``reason`` says why."""

    def __init__(self, reason: str, items: list[dict[str, Any]]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.items = items


#: Errors of a call DynamoDB did not answer: no connection (refused, timed out) or no response in time.
NO_ANSWER = (BotoConnectionError, HTTPClientError)

# Set by the handler on entry. Lambda runs one invocation at a time per execution environment.
#: The time the current invocation had on entry, in seconds (Lambda's longest timeout outside one).
_seconds_on_entry = LAMBDA_MAX_SECONDS
#: When the current invocation must have answered (time.monotonic()), None outside one.
_deadline: float | None = None


@logger.inject_lambda_context
# Answers carry table items: keep them out of traces (and under X-Ray's 64 KB document limit).
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    global _seconds_on_entry, _deadline
    started = time.perf_counter()
    _seconds_on_entry = _remaining_seconds(context)
    _deadline = time.monotonic() + _seconds_on_entry
    action = event.get("action") if isinstance(event, dict) else None
    try:
        result = _dispatch(event)
    except BadRequest as error:
        # The caller's mistake, answered as designed: a warning, so ERROR means this function or AWS failed.
        return _failure(action, "BadRequest", str(error), started, log=logger.warning)
    except NotConfigured as error:
        return _failure(action, "NotConfigured", str(error), started)
    except Unprocessed as error:
        return {**_failure(action, "UnprocessedItems", str(error), started), "unprocessed": _plain(error.items)}
    except ClientError as error:
        details = error.response.get("Error", {})
        return _failure(action, details.get("Code") or "ClientError", details.get("Message") or str(error), started)
    except NO_ANSWER as error:
        return _failure(action, type(error).__name__, _no_answer(error, _table().meta.client), started)
    except BotoCoreError as error:
        return _failure(action, type(error).__name__, str(error), started)
    logger.info("request served", action=action, ms=_elapsed_ms(started))
    return {"ok": True, "action": action, **_plain(result)}


def _table() -> Any:
    """The function's table, named by its environment (the module sets it)."""
    name = os.environ.get(TABLE_NAME_VARIABLE, "").strip()
    if not name:
        raise NotConfigured(f"environment variable {TABLE_NAME_VARIABLE} is not set: it must name the DynamoDB table")
    return _table_named(name)


@functools.cache
def _table_named(name: str) -> Any:
    # Made once per execution environment: warm invocations reuse its connections, and its timeouts,
    # chosen for the time left in the invocation that makes it (the function's timeout, near enough).
    return boto3.resource("dynamodb", config=_client_config(_seconds_on_entry)).Table(name)


def _remaining_seconds(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if callable(remaining) else LAMBDA_MAX_SECONDS


def _seconds_left() -> float:
    """Time left in the current invocation (Lambda's longest timeout outside one)."""
    return LAMBDA_MAX_SECONDS if _deadline is None else _deadline - time.monotonic()


def _client_config(seconds: float) -> Config:
    """Timeouts and retries such that one call takes at most ``CALL_SHARE`` of ``seconds`` (module docstring)."""
    budget = seconds * CALL_SHARE
    # Standard mode sleeps up to 1 s before the second attempt.
    two = (budget - _max_backoff(2)) / 2
    attempts, per_attempt = (2, two) if two >= MIN_ATTEMPT_SECONDS else (1, budget)
    return Config(
        connect_timeout=max(MIN_TIMEOUT_SECONDS, min(MAX_CONNECT_SECONDS, per_attempt * CONNECT_SHARE)),
        read_timeout=max(MIN_TIMEOUT_SECONDS, min(MAX_READ_SECONDS, per_attempt * (1 - CONNECT_SHARE))),
        # total_max_attempts counts the first attempt; botocore's max_attempts counts only the retries.
        retries={"mode": "standard", "total_max_attempts": attempts},
    )


def _max_backoff(attempts: int) -> float:
    """The longest the standard retry mode sleeps in all between ``attempts`` attempts."""
    return sum(min(2.0**retry, STANDARD_MAX_BACKOFF_SECONDS) for retry in range(attempts - 1))


def _worst_case(client: Any) -> float:
    """The longest one call of ``client`` can take: every attempt connecting and reading to its timeouts, and the backoff."""
    config = client.meta.config
    attempts = config.retries["total_max_attempts"]
    return attempts * (config.connect_timeout + config.read_timeout) + _max_backoff(attempts)


def _no_answer(error: BotoCoreError, client: Any) -> str:
    config = client.meta.config
    attempts = config.retries["total_max_attempts"]
    return (
        f"DynamoDB did not answer in time (connect timeout {config.connect_timeout:g} s, read timeout "
        f"{config.read_timeout:g} s, {attempts} attempt{'s' if attempts > 1 else ''}): {error}"
    )


def _key_names() -> tuple[str, ...]:
    """The table's key attribute names, partition key first (the module sets them; no DescribeTable call)."""
    value = os.environ.get(KEY_NAMES_VARIABLE, "")
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise NotConfigured(
            f"environment variable {KEY_NAMES_VARIABLE} is not set: it must list the table's key attribute names, "
            "partition key first (e.g. pk,sk)"
        )
    if len(names) > 2 or len(set(names)) < len(names):
        raise NotConfigured(f"environment variable {KEY_NAMES_VARIABLE} must name a partition key and at most one sort key, got {value!r}")
    return names


def _dispatch(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise BadRequest(f"the event must be a JSON object, got {type(event).__name__}")
    action = event.get("action")
    operation = OPERATIONS.get(action) if isinstance(action, str) else None
    if operation is None:
        raise BadRequest(f"action {action!r} is not one of {', '.join(sorted(OPERATIONS))}")
    return operation(event)


def get_item(event: dict[str, Any]) -> dict[str, Any]:
    response = _table().get_item(Key=_mapping(event, "key"))
    return {"found": "Item" in response, "item": response.get("Item")}


def query_items(event: dict[str, Any]) -> dict[str, Any]:
    partition = _mapping(event, "partition_key")
    name, value = partition.get("name"), partition.get("value")
    if not isinstance(name, str) or not name or value is None:
        raise BadRequest("partition_key must be an object with a non-empty 'name' and a 'value'")
    response = _table().query(KeyConditionExpression=Key(name).eq(value), Limit=_limit(event))
    return {"items": response["Items"], "count": response["Count"]}


def scan_items(event: dict[str, Any]) -> dict[str, Any]:
    response = _table().scan(Limit=_limit(event))
    return {"items": response["Items"], "count": response["Count"]}


def put_item(event: dict[str, Any]) -> dict[str, Any]:
    item = _mapping(event, "item")
    overwrite = event.get("overwrite", False)
    if not isinstance(overwrite, bool):
        raise BadRequest("overwrite must be true or false")
    # Never replace an item by accident.
    condition = {} if overwrite else _no_item_with_key_of(item)
    try:
        _table().put_item(Item=item, **condition)
    except ClientError as error:
        if _is_condition_failure(error):
            raise BadRequest("an item with this key exists; send overwrite: true to replace it") from error
        raise
    return {"item": item}


def _no_item_with_key_of(item: dict[str, Any]) -> dict[str, Any]:
    """PutItem's condition that no item has the key of ``item``.

    Every item holds the partition key, so its absence alone says no item has this key: one
    attribute however many the item has (DynamoDB caps an expression at 4 KB).
    """
    names = _key_names()
    missing = [name for name in names if name not in item]
    if missing:
        raise BadRequest(f"item must carry the table's key attributes {', '.join(names)}; missing: {', '.join(missing)}")
    return {"ConditionExpression": "attribute_not_exists(#key)", "ExpressionAttributeNames": {"#key": names[0]}}


def update_item(event: dict[str, Any]) -> dict[str, Any]:
    key = _key(event)
    changes = _mapping(event, "set")
    names = {f"#a{i}": name for i, name in enumerate(changes)}
    values = {f":v{i}": value for i, value in enumerate(changes.values())}
    try:
        response = _table().update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(f"{n} = {v}" for n, v in zip(names, values)),
            # Refuse to create an item by updating a key that does not exist: every item holds the partition key.
            ConditionExpression="attribute_exists(#key)",
            ExpressionAttributeNames={**names, "#key": _key_names()[0]},
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if _is_condition_failure(error):
            raise BadRequest("no item has this key; put it first") from error
        raise
    return {"item": response["Attributes"]}


def _key(event: dict[str, Any]) -> dict[str, Any]:
    """The event's ``key``: exactly the table's key attributes, in any order."""
    key = _mapping(event, "key")
    names = _key_names()
    if set(key) != set(names):
        raise BadRequest(f"key must hold exactly the table's key attributes {', '.join(names)}; got {', '.join(key)}")
    return key


def batch_write(event: dict[str, Any]) -> dict[str, Any]:
    items = event.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH_ITEMS or not all(isinstance(i, dict) and i for i in items):
        raise BadRequest(f"items must be a list of 1 to {MAX_BATCH_ITEMS} non-empty JSON objects")
    if event.get("overwrite") is not True:
        raise BadRequest("a batch write replaces any existing item with the same key (DynamoDB cannot check); send overwrite: true")
    _check_keys(items)
    table = _table()
    client = table.meta.client
    failed: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH_SIZE):
        chunk = [{"PutRequest": {"Item": _decimals(item)}} for item in items[start : start + BATCH_SIZE]]
        try:
            failed += _write_with_retries(client, table.name, chunk)
        except _Stopped as stop:
            # Nothing after this chunk was sent.
            left = failed + stop.items + items[start + BATCH_SIZE :]
            raise Unprocessed(left, len(items) - len(left), stop.reason) from None
    if failed:
        raise Unprocessed(failed, len(items) - len(failed))
    return {"written": len(items)}


def _check_keys(items: list[dict[str, Any]]) -> None:
    """Every item carries the key attributes: checked before the first chunk, so a bad item
    cannot leave the batch half written."""
    names = _key_names()
    incomplete = [index for index, item in enumerate(items) if any(name not in item for name in names)]
    if incomplete:
        listed = ", ".join(map(str, incomplete[:10])) + (", ..." if len(incomplete) > 10 else "")
        raise BadRequest(f"items {listed} lack the table's key attributes {', '.join(names)}: nothing was written")


def _write_with_retries(client: Any, table_name: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write one batch; retry what DynamoDB leaves unprocessed (throttling) with exponential backoff.

    Raises :class:`_Stopped` with the chunk's unwritten items when the invocation's time left cannot
    hold another call, or when DynamoDB does not answer (botocore has retried already).
    """
    pending = {table_name: requests}
    worst_case = _worst_case(client)
    for attempt in range(BATCH_ATTEMPTS):
        left = _seconds_left()
        if left < worst_case + ANSWER_SECONDS:
            reason = f"time ran out ({max(left, 0):.2f} s left, one DynamoDB call may take {worst_case:g} s)"
            raise _Stopped(reason, _items(pending, table_name))
        try:
            pending = write_batch(client, pending)
        except NO_ANSWER as error:
            raise _Stopped(_no_answer(error, client), _items(pending, table_name)) from error
        if not pending:
            return []
        if attempt + 1 < BATCH_ATTEMPTS:
            time.sleep(BACKOFF_SECONDS * 2**attempt)
    return _items(pending, table_name)


def _items(request_items: dict[str, Any], table_name: str) -> list[dict[str, Any]]:
    return [request["PutRequest"]["Item"] for request in request_items.get(table_name, [])]


def write_batch(client: Any, request_items: dict[str, Any]) -> dict[str, Any]:
    """One BatchWriteItem call; returns its unprocessed items."""
    return client.batch_write_item(RequestItems=request_items).get("UnprocessedItems") or {}


OPERATIONS = {
    "get": get_item,
    "query": query_items,
    "scan": scan_items,
    "put": put_item,
    "update": update_item,
    "batch_write": batch_write,
}


def _mapping(event: dict[str, Any], field: str) -> dict[str, Any]:
    value = event.get(field)
    if not isinstance(value, dict) or not value:
        raise BadRequest(f"{field} must be a non-empty JSON object")
    return _decimals(value)


def _limit(event: dict[str, Any]) -> int:
    limit = event.get("limit", 25)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _decimals(value: Any) -> Any:
    """DynamoDB numbers are Decimals; JSON numbers are converted exactly (floats as written)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def _number(value: int | float) -> Decimal:
    # boto3 raises (a TypeError or a decimal trap) on numbers DynamoDB cannot hold: refuse them here.
    refusal = BadRequest(f"the number {value!r} does not fit DynamoDB's numbers (38 significant digits, magnitude 1E-130 to below 1E+126)")
    try:
        number = DYNAMODB_CONTEXT.create_decimal(str(value) if isinstance(value, float) else value)
    except DecimalException:
        raise refusal from None
    if not number.is_finite():
        raise refusal
    return number


def _plain(value: Any) -> Any:
    """The reverse of :func:`_decimals`, so answers are plain JSON."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_plain(v) for v in value]
    return value


def _failure(action: Any, kind: str, message: str, started: float, log: Callable[..., None] = logger.error) -> dict[str, Any]:
    # stacklevel 3: the log line's location is the handler's except clause, not this function.
    log(message, action=action, error=kind, ms=_elapsed_ms(started), stacklevel=3)
    return {"ok": False, "action": action, "error": {"type": kind, "message": message}}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
