"""What Lambda's event source mapping does for a function: read its source, as its role, in batches.

A DynamoDB stream is read through the DynamoDB Streams API (DescribeStream, GetShardIterator,
GetRecords) and an SQS queue with ReceiveMessage, by a session that carries the function's
policy (:mod:`.enforcer`): a role that cannot read its source fails here, with AWS's
AccessDenied, as the mapping would in AWS. What is read becomes the events Lambda passes the
handler (records in DynamoDB JSON, with ``eventSourceARN``; bytes as base64, times as epoch
seconds), at most ``batch_size`` records an event. Filter criteria are not applied.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: SQS hands out at most this many messages a ReceiveMessage.
SQS_RECEIVE_LIMIT = 10


@dataclass
class StreamPosition:
    """How far a stream's shards have been read (the next read starts after these)."""

    after: dict[str, str] = field(default_factory=dict)


def read_stream(streams: Any, stream_arn: str, position: StreamPosition, starting_position: str = "TRIM_HORIZON") -> list[dict[str, Any]]:
    """Every record of the stream not read yet (``position`` moves past them)."""
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        shard_id = shard["ShardId"]
        if shard_id in position.after:
            start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position.after[shard_id]}
        else:
            # The mapping existed before anything was written: LATEST reads what TRIM_HORIZON does.
            start = {"ShardIteratorType": "TRIM_HORIZON" if starting_position in ("TRIM_HORIZON", "LATEST") else starting_position}
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **start)["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator)
            if not page["Records"]:
                break
            records += page["Records"]
            position.after[shard_id] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
            iterator = page.get("NextShardIterator")
    return records


def stream_events(records: list[dict[str, Any]], stream_arn: str, region: str, batch_size: int) -> list[dict[str, Any]]:
    """DynamoDB Streams records as the events Lambda passes a function, ``batch_size`` records each."""
    shaped = [
        {
            "eventID": r["eventID"],
            "eventName": r["eventName"],
            "eventVersion": r.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": region,  # the stream's region (moto's records always say us-east-1)
            "dynamodb": _json_ready(r["dynamodb"]),
            "eventSourceARN": stream_arn,
        }
        for r in records
    ]
    return [{"Records": shaped[i : i + batch_size]} for i in range(0, len(shaped), batch_size)]


def read_queue(sqs: Any, queue_url: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages received from the queue (they stay in flight until deleted)."""
    messages: list[dict[str, Any]] = []
    while len(messages) < limit:
        page = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(SQS_RECEIVE_LIMIT, limit - len(messages)),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        if not page.get("Messages"):
            break
        messages += page["Messages"]
    return messages


def queue_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """SQS messages as the event Lambda passes a function."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": {name: _message_attribute(value) for name, value in m.get("MessageAttributes", {}).items()},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"dataType": value["DataType"], "stringListValues": [], "binaryListValues": []}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return shaped


def _json_ready(value: Any) -> Any:
    """What the SDK parsed (datetimes, bytes) back as Lambda's JSON has it."""
    if isinstance(value, Mapping):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "timestamp"):
        return int(value.timestamp())
    return value
