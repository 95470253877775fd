"""orders-sync: copies one order from Orders into Archive, on demand.

Invoked directly (by a scheduler, a back-office tool, another service) with
``{"customer": "c-1", "id": "o-1"}``. It reads the order from ``TABLE_NAME`` and writes a
snapshot of it into ``ARCHIVE_TABLE``; the answer says what it archived:

    {"archived": true, "pk": "CUSTOMER#c-1", "sk": "ORDER#o-1#SNAPSHOT#2026-12-01T06:00:00+00:00"}
    {"archived": false, "error": "not_found", ...}
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from typing import Any

import boto3

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

dynamodb = boto3.resource("dynamodb")
orders = dynamodb.Table(os.environ["TABLE_NAME"])
archive = dynamodb.Table(os.environ["ARCHIVE_TABLE"])


def order_key(customer: str, order_id: str) -> dict[str, str]:
    return {"pk": f"CUSTOMER#{customer}", "sk": f"ORDER#{order_id}"}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    customer, order_id = event.get("customer"), event.get("id")
    if not isinstance(customer, str) or not isinstance(order_id, str) or not customer or not order_id:
        return {"archived": False, "error": "bad_request", "message": "the event needs a customer and an id"}
    key = order_key(customer, order_id)
    found = orders.get_item(Key=key, ConsistentRead=True).get("Item")
    if found is None:
        logger.info(json.dumps({"message": "order not found", **key}))
        return {"archived": False, "error": "not_found", **key}
    archived_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    entry = {
        "pk": found["pk"],
        "sk": f"{found['sk']}#SNAPSHOT#{archived_at}",
        "order": found,
        "source": "orders-sync",
        "archived_at": archived_at,
    }
    archive.put_item(Item=entry)
    logger.info(json.dumps({"message": "order archived", "pk": entry["pk"], "sk": entry["sk"]}))
    return {"archived": True, "pk": entry["pk"], "sk": entry["sk"]}
