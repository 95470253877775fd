"""orders-intake: stores the orders that arrive on the intake queue (SQS) in Orders.

Each message's body is one order, as JSON::

    {"customer": "c-1", "id": "o-1", "items": [{"sku": "tea", "quantity": 2}], "total": "12.50"}

It is stored in ``TABLE_NAME`` once: a message delivered twice (SQS delivers at least once)
finds its order there and is done. Messages that cannot be stored are answered as batch
item failures, so only they return to the queue (and, after the queue's maxReceiveCount,
go to its dead-letter queue).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


class BadOrder(ValueError):
    pass


def parse_order(body: str) -> dict[str, Any]:
    try:
        order = json.loads(body, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise BadOrder(f"not JSON: {error}") from error
    if not isinstance(order, dict):
        raise BadOrder("not a JSON object")
    for name in ("customer", "id"):
        if not isinstance(order.get(name), str) or not order[name]:
            raise BadOrder(f"{name} must be a non-empty string")
    try:
        total = Decimal(str(order.get("total", "0")))
    except InvalidOperation as error:
        raise BadOrder(f"total is not a number: {order.get('total')!r}") from error
    return {
        "pk": f"CUSTOMER#{order['customer']}",
        "sk": f"ORDER#{order['id']}",
        "customer": order["customer"],
        "order_id": order["id"],
        "items": order.get("items", []),
        "total": total,
        "status": "received",
        "received_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def store(item: dict[str, Any]) -> bool:
    """Put the order unless it is there already; True when this call stored it."""
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    failures = []
    for message in event.get("Records", []):
        try:
            item = parse_order(message["body"])
            stored = store(item)
        except (BadOrder, ClientError) as error:
            logger.error(json.dumps({"message": "order not stored", "messageId": message["messageId"], "error": str(error)}))
            failures.append({"itemIdentifier": message["messageId"]})
            continue
        logger.info(json.dumps({"message": "stored" if stored else "duplicate", "pk": item["pk"], "sk": item["sk"]}))
    return {"batchItemFailures": failures}
