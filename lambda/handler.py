"""A Lambda function that reads and writes one DynamoDB table (boto3 only).

Event: ``{"action": ..., ...}`` with action one of

- ``get``    ``{"key": {...}}``
- ``query``  ``{"partition_key": {"name": "pk", "value": "..."}, "limit": 25}``
- ``scan``   ``{"limit": 25}``
- ``put``    ``{"item": {...}, "overwrite": false}``; refuses to replace an existing item
  unless ``overwrite`` is true
- ``update`` ``{"key": {...}, "set": {"attribute": value, ...}}``; refuses a missing item
- ``batch_write`` ``{"items": [{...}, ...], "overwrite": true}``; DynamoDB cannot check batch puts
  for existing items, so replacing is only done when asked; unprocessed items are retried with
  exponential backoff, and whatever still fails is reported back

Answer: ``{"ok": true, ...}`` or ``{"ok": false, "error": {"type": ..., "message": ...}}``;
a bad event never raises. Logs are JSON lines on stdout.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import BotoCoreError, ClientError

TABLE_NAME_VARIABLE = "TABLE_NAME"
MAX_LIMIT = 100
#: BatchWriteItem takes at most 25 requests per call.
BATCH_SIZE = 25
MAX_BATCH_ITEMS = 500
BATCH_ATTEMPTS = 5
BACKOFF_SECONDS = 0.05


class BadRequest(Exception):
    """The event is not a request this function can answer."""


class NotConfigured(Exception):
    """The function's environment lacks what it needs."""


class Unprocessed(Exception):
    """Items DynamoDB still had not written after every retry."""

    def __init__(self, items: list[dict[str, Any]], written: int) -> None:
        super().__init__(f"{len(items)} of {len(items) + written} items were not written after {BATCH_ATTEMPTS} attempts")
        self.items = items


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    started = time.perf_counter()
    action = event.get("action") if isinstance(event, dict) else None
    try:
        result = _dispatch(event)
    except (BadRequest, NotConfigured) as error:
        return _failure(action, type(error).__name__, str(error), started)
    except Unprocessed as error:
        return {**_failure(action, "UnprocessedItems", str(error), started), "unprocessed": _plain(error.items)}
    except ClientError as error:
        details = error.response.get("Error", {})
        return _failure(action, details.get("Code", "ClientError"), details.get("Message", str(error)), started)
    except BotoCoreError as error:
        return _failure(action, type(error).__name__, str(error), started)
    log("INFO", "request served", action=action, ms=_elapsed_ms(started))
    return {"ok": True, "action": action, **_plain(result)}


def _table() -> Any:
    """The function's table, named by its environment (the module sets it)."""
    name = os.environ.get(TABLE_NAME_VARIABLE, "").strip()
    if not name:
        raise NotConfigured(f"environment variable {TABLE_NAME_VARIABLE} is not set: it must name the DynamoDB table")
    return _table_named(name)


@functools.cache
def _table_named(name: str) -> Any:
    # Made once per execution environment: warm invocations reuse its connections.
    return boto3.resource("dynamodb").Table(name)


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
    arguments: dict[str, Any] = {"Item": item}
    if not overwrite:
        # Never replace an item by accident. An existing item with this key holds all the key
        # attributes, which the new item holds too, so "none of the item's attributes exist"
        # is true exactly when no item has this key (without DescribeTable to learn the key).
        arguments["ConditionExpression"] = _none_exist(item)
    try:
        _table().put_item(**arguments)
    except ClientError as error:
        if _is_condition_failure(error):
            raise BadRequest("an item with this key exists; send overwrite: true to replace it") from error
        raise
    return {"item": item}


def update_item(event: dict[str, Any]) -> dict[str, Any]:
    key = _mapping(event, "key")
    changes = _mapping(event, "set")
    names = {f"#a{i}": name for i, name in enumerate(changes)}
    values = {f":v{i}": value for i, value in enumerate(changes.values())}
    try:
        response = _table().update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(f"{n} = {v}" for n, v in zip(names, values)),
            # Refuse to create an item by updating a key that does not exist.
            ConditionExpression=Attr(next(iter(key))).exists(),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if _is_condition_failure(error):
            raise BadRequest("no item has this key; put it first") from error
        raise
    return {"item": response["Attributes"]}


def batch_write(event: dict[str, Any]) -> dict[str, Any]:
    items = event.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH_ITEMS or not all(isinstance(i, dict) and i for i in items):
        raise BadRequest(f"items must be a list of 1 to {MAX_BATCH_ITEMS} non-empty JSON objects")
    if event.get("overwrite") is not True:
        raise BadRequest("a batch write replaces any existing item with the same key (DynamoDB cannot check); send overwrite: true")
    table = _table()
    client = table.meta.client
    failed: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH_SIZE):
        chunk = [{"PutRequest": {"Item": _decimals(item)}} for item in items[start : start + BATCH_SIZE]]
        failed += _write_with_retries(client, table.name, chunk)
    if failed:
        raise Unprocessed(failed, len(items) - len(failed))
    return {"written": len(items)}


def _write_with_retries(client: Any, table_name: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write one batch; retry what DynamoDB leaves unprocessed (throttling) with exponential backoff."""
    pending = {table_name: requests}
    for attempt in range(BATCH_ATTEMPTS):
        pending = write_batch(client, pending)
        if not pending:
            return []
        if attempt + 1 < BATCH_ATTEMPTS:
            time.sleep(BACKOFF_SECONDS * 2**attempt)
    return [request["PutRequest"]["Item"] for request in pending.get(table_name, [])]


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


def _none_exist(item: dict[str, Any]) -> Any:
    conditions = [Attr(name).not_exists() for name in item]
    combined = conditions[0]
    for condition in conditions[1:]:
        combined &= condition
    return combined


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _decimals(value: Any) -> Any:
    """DynamoDB numbers are Decimals; JSON floats are converted exactly."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """The reverse of :func:`_decimals`, so answers are plain JSON."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_plain(v) for v in value]
    return value


def _failure(action: Any, kind: str, message: str, started: float) -> dict[str, Any]:
    log("ERROR", message, action=action, error=kind, ms=_elapsed_ms(started))
    return {"ok": False, "action": action, "error": {"type": kind, "message": message}}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def log(level: str, message: str, **fields: Any) -> None:
    """One JSON object per line on stdout: Lambda's JSON log format keeps it structured."""
    record = {"level": level, "message": message, **fields}
    sys.stdout.write(json.dumps(record, default=str) + "\n")
