"""orders-stream: archives every new or changed order, from the Orders table's stream.

Lambda reads the stream (NEW_AND_OLD_IMAGES) and passes batches of records::

    {"Records": [{"eventID": ..., "eventName": "INSERT" | "MODIFY" | "REMOVE",
                  "dynamodb": {"Keys": ..., "NewImage": ..., "SequenceNumber": ...}, ...}]}

Each INSERT and MODIFY becomes one entry in ``ARCHIVE_TABLE`` (REMOVE is left alone: the
archive keeps what was). The mapping reports batch item failures: on the first record that
cannot be archived, the answer names it and every record after it, so Lambda retries from
there and nothing is skipped (records of a shard must be processed in order).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

archive = boto3.resource("dynamodb").Table(os.environ["ARCHIVE_TABLE"])
deserializer = TypeDeserializer()

ARCHIVED_EVENTS = ("INSERT", "MODIFY")


def from_image(image: dict[str, Any]) -> dict[str, Any]:
    """A stream image (DynamoDB JSON) as a Python item."""
    return {name: deserializer.deserialize(value) for name, value in image.items()}


def archive_entry(record: dict[str, Any]) -> dict[str, Any]:
    change = record["dynamodb"]
    order = from_image(change["NewImage"])
    return {
        "pk": order["pk"],
        "sk": f"{order['sk']}#{record['eventName']}#{change['SequenceNumber']}",
        "order": order,
        "source": "orders-stream",
        "event_id": record["eventID"],
        "changed_at": int(change.get("ApproximateCreationDateTime", 0)),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records", [])
    for position, record in enumerate(records):
        if record.get("eventName") not in ARCHIVED_EVENTS:
            continue
        try:
            entry = archive_entry(record)
            archive.put_item(Item=entry)
        except (KeyError, ClientError) as error:
            logger.error(json.dumps({"message": "record not archived", "eventID": record.get("eventID"), "error": str(error)}))
            failed = records[position:]
            return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failed]}
        logger.info(json.dumps({"message": "archived", "pk": entry["pk"], "sk": entry["sk"]}))
    return {"batchItemFailures": []}
