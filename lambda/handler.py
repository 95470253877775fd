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
  for existing items, so replacing is only done when asked; every item is checked (key attributes,
  numbers, nesting) before the first chunk is sent; unprocessed items are retried with exponential
  backoff, and whatever still fails, or is not sent for lack of time (see Timeouts), is reported back

Answer: ``{"ok": true, "action": ..., ...}`` or ``{"ok": false, "action": ..., "error": {"type":
..., "message": ...}}``; a bad event never raises. A ``batch_write`` answer, whether it succeeds or
fails, and whatever fails (throttling, time, no answer, an error of DynamoDB in any chunk, a refused
event), says what was written and what was not: ``"written": n`` (how many items were written),
``"unprocessed": [item, ...]`` (the event's items not written, as sent) and
``"unprocessed_indexes": [i, ...]`` (their positions in the event's ``items``, ascending)::

    {"ok": false, "action": "batch_write", "error": {"type": "ValidationException", "message":
     "...: 35 of 60 items were not written"}, "written": 25, "unprocessed": [{...}, ...],
     "unprocessed_indexes": [25, 26, ..., 59]}

An item counts as written only when DynamoDB said so: a chunk DynamoDB did not answer is reported
as not written (it may have been; resending it is safe, batch puts replace).

Values: JSON numbers must fit DynamoDB's (38 digits, magnitude 1E-130 to below 1E+126); a list or
object may nest lists and objects at most ``MAX_DEPTH`` (32, DynamoDB's limit) levels deep, counting
an attribute's own list or object as level 1: deeper is a ``BadRequest`` naming the path, never a
``RecursionError``. In answers, DynamoDB's numbers are never rounded: a whole number is a Python
``int``, any other a ``float`` when that float's shortest text is the very same number (``1.5``,
``0.1``), else a ``Decimal``, which Lambda's Python runtime writes as a JSON number with its exact
digits (its marshaller writes ``str(decimal)`` raw); on the wire every number is a JSON number
with DynamoDB's digits (``3.1415926535897932384626433832795028841``). Binary values (``B``, and
each member of a ``BS``) come back as base64 strings (RFC 4648, with padding); sets (``SS``,
``NS``, ``BS``) come back as sorted lists. A JSON event cannot carry Binary: a base64 string sent
is stored as a String.

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

import base64
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
from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary
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
#: DynamoDB's nesting limit: lists and maps inside an attribute's value, the value itself counted.
MAX_DEPTH = 32
#: Where a message quotes what the caller sent (a path), at most this many characters of it.
QUOTE_CHARS = 80

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
    """A batch not fully written: the event's items at ``indexes`` were not (still refused after every
    retry, or not sent: ``reason`` says why, ``kind`` is the answer's error type), the others were."""

    def __init__(self, items: list[Any], indexes: list[int], kind: str = "UnprocessedItems", reason: str | None = None) -> None:
        summary = f"{len(indexes)} of {len(items)} items were not written"
        super().__init__(f"{reason}: {summary}" if reason else f"{summary} after {BATCH_ATTEMPTS} attempts")
        self.kind = kind
        self.indexes = sorted(indexes)
        self.items = [items[index] for index in self.indexes]
        self.written = len(items) - len(indexes)

    def answer(self) -> dict[str, Any]:
        return {"written": self.written, "unprocessed": self.items, "unprocessed_indexes": self.indexes}


class _Stopped(Exception):
    """A chunk of a batch left (partly) unwritten, and the batch must stop: ``reason`` says why, ``kind``
    is the answer's error type, ``indexes`` are the chunk's items not written."""

    def __init__(self, kind: str, reason: str, indexes: list[int]) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.indexes = indexes


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
        return {**_failure(action, "BadRequest", str(error), started, log=logger.warning), **_nothing_written(event)}
    except NotConfigured as error:
        return {**_failure(action, "NotConfigured", str(error), started), **_nothing_written(event)}
    except Unprocessed as error:
        return {**_failure(action, error.kind, str(error), started), **_plain(error.answer())}
    except ClientError as error:
        details = error.response.get("Error", {})
        return _failure(action, details.get("Code") or "ClientError", details.get("Message") or str(error), started)
    except NO_ANSWER as error:
        return _failure(action, type(error).__name__, _no_answer(error, _table().meta.client), started)
    except BotoCoreError as error:
        return _failure(action, type(error).__name__, str(error), started)
    logger.info("request served", action=action, ms=_elapsed_ms(started))
    return {"ok": True, "action": action, **_plain(result)}


def _nothing_written(event: Any) -> dict[str, Any]:
    """What a batch refused before its first chunk did not write: all of it (nothing for other actions)."""
    if not isinstance(event, dict) or event.get("action") != "batch_write":
        return {}
    items = event.get("items")
    items = items if isinstance(items, list) else []
    return {"written": 0, "unprocessed": items, "unprocessed_indexes": list(range(len(items)))}


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
    names = _check_keys(items)
    # Every item converted (and so checked) before the first chunk is sent: a bad one cannot leave the batch half written.
    converted = [_attributes(item, f"items[{index}]") for index, item in enumerate(items)]
    table = _table()
    client = table.meta.client
    failed: list[int] = []
    for start in range(0, len(items), BATCH_SIZE):
        chunk = list(range(start, min(start + BATCH_SIZE, len(items))))
        try:
            failed += _write_with_retries(client, table.name, converted, chunk, names)
        except _Stopped as stop:
            # Nothing after this chunk was sent.
            raise Unprocessed(items, failed + stop.indexes + list(range(chunk[-1] + 1, len(items))), stop.kind, stop.reason) from None
    if failed:
        raise Unprocessed(items, failed)
    return {"written": len(items), "unprocessed": [], "unprocessed_indexes": []}


def _check_keys(items: list[dict[str, Any]]) -> tuple[str, ...]:
    """Every item carries the key attributes (whose names are returned): checked before the first
    chunk, so a bad item cannot leave the batch half written."""
    names = _key_names()
    incomplete = [index for index, item in enumerate(items) if any(name not in item for name in names)]
    if incomplete:
        listed = ", ".join(map(str, incomplete[:10])) + (", ..." if len(incomplete) > 10 else "")
        raise BadRequest(f"items {listed} lack the table's key attributes {', '.join(names)}: nothing was written")
    return names


def _write_with_retries(client: Any, table_name: str, items: list[dict[str, Any]], chunk: list[int], names: tuple[str, ...]) -> list[int]:
    """Write the ``items`` at the indexes of ``chunk`` in one batch; retry what DynamoDB leaves
    unprocessed (throttling) with exponential backoff; return the indexes still unprocessed.

    Raises :class:`_Stopped` with the indexes of the chunk's unwritten items when the invocation's
    time left cannot hold another call, when DynamoDB does not answer (botocore has retried
    already), or when the call fails in any other way (DynamoDB refuses it: nothing of it was written).
    """
    pending = chunk
    worst_case = _worst_case(client)
    for attempt in range(BATCH_ATTEMPTS):
        left = _seconds_left()
        if left < worst_case + ANSWER_SECONDS:
            reason = f"time ran out ({max(left, 0):.2f} s left, one DynamoDB call may take {worst_case:g} s)"
            raise _Stopped("UnprocessedItems", reason, pending)
        try:
            unprocessed = write_batch(client, {table_name: [{"PutRequest": {"Item": items[index]}} for index in pending]})
        except NO_ANSWER as error:
            raise _Stopped("UnprocessedItems", _no_answer(error, client), pending) from error
        except ClientError as error:
            details = error.response.get("Error", {})
            raise _Stopped(details.get("Code") or "ClientError", details.get("Message") or str(error), pending) from error
        except Exception as error:  # noqa: BLE001 - whatever fails, the answer must say what was written
            logger.exception("batch chunk failed", error=type(error).__name__)
            raise _Stopped(type(error).__name__, str(error) or type(error).__name__, pending) from error
        pending = _indexes_of(unprocessed.get(table_name, []), pending, items, names)
        if not pending:
            return []
        if attempt + 1 < BATCH_ATTEMPTS:
            time.sleep(BACKOFF_SECONDS * 2**attempt)
    return pending


def _indexes_of(requests: list[dict[str, Any]], pending: list[int], items: list[dict[str, Any]], names: tuple[str, ...]) -> list[int]:
    """The indexes, among ``pending``, of the items DynamoDB answered unprocessed (put ``requests``).

    Matched by key (a call's keys are distinct, DynamoDB refuses duplicates); should one not match,
    every pending item counts as unprocessed (resending is safe: batch puts replace)."""
    left = list(pending)
    found: list[int] = []
    for request in requests:
        item = request.get("PutRequest", {}).get("Item", {})
        index = next((i for i in left if all(items[i].get(name) == item.get(name) for name in names)), None)
        if index is None:
            return list(pending)
        left.remove(index)
        found.append(index)
    return sorted(found)


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
    return _attributes(value, field)


def _attributes(value: dict[str, Any], path: str) -> dict[str, Any]:
    """An object of attributes (an item, a key, ...) as DynamoDB's values: its own level is not counted."""
    return {name: _decimals(attribute, f"{path}.{name}") for name, attribute in value.items()}


def _limit(event: dict[str, Any]) -> int:
    limit = event.get("limit", 25)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _decimals(value: Any, path: str, depth: int = 0) -> Any:
    """DynamoDB numbers are Decimals; JSON numbers are converted exactly (floats as written).

    ``value`` is inside ``depth`` lists and objects of an attribute's value, at ``path``: one more
    than ``MAX_DEPTH`` is refused (and the recursion never goes deeper than that).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    if isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        raise BadRequest(
            f"{_cut(path)} nests lists and objects more than {MAX_DEPTH} levels deep (DynamoDB's nesting limit)"
        )
    if isinstance(value, dict):
        return {k: _decimals(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    return value


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


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
    """The reverse of :func:`_decimals`, so answers are JSON: numbers exact, Binary as base64, sets as sorted lists.

    DynamoDB's values nest at most 32 levels (and the event's are checked), so the recursion is bounded.
    """
    if isinstance(value, Decimal):
        return _exact_number(value)
    if isinstance(value, Binary):
        return _base64(value.value)
    if isinstance(value, (bytes, bytearray)):
        return _base64(bytes(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [_plain(v) for v in _sorted(value)]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _exact_number(number: Decimal) -> int | float | Decimal:
    """``number`` exactly: an int when whole, a float when its shortest text is ``number``, else the Decimal."""
    if not number.is_finite():
        return float(number)
    if number == number.to_integral_value():
        return int(number)
    approximation = float(number)
    return approximation if Decimal(repr(approximation)) == number else number


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _sorted(members: set[Any] | frozenset[Any]) -> list[Any]:
    """A DynamoDB set's members in order (a set holds one type: strings, numbers or Binary)."""
    try:
        return sorted(members, key=lambda member: member.value if isinstance(member, Binary) else member)
    except TypeError:
        return list(members)


def _failure(action: Any, kind: str, message: str, started: float, log: Callable[..., None] = logger.error) -> dict[str, Any]:
    # stacklevel 3: the log line's location is the handler's except clause, not this function.
    log(message, action=action, error=kind, ms=_elapsed_ms(started), stacklevel=3)
    return {"ok": False, "action": action, "error": {"type": kind, "message": message}}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
