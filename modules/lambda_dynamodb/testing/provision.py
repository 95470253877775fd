"""A stack's tables and queues, created in an emulator straight from ``cdk.tf.json``.

Not ``terraform apply``: a test of a function's code and policy needs the data resources it
calls, as the stack defines them (keys, attribute types, indexes, the stream; a queue's FIFO
and timing attributes), and needs them fresh for each test, in milliseconds. Roles, policies,
functions and mappings are not created: the policy is enforced on the handler's process from
the synthesized JSON, and the plugin delivers events itself. Deploying the stack is the deploy
smoke test's job (``make deploy``).

What cannot be known without Terraform is left out: a redrive policy written as an HCL
expression (``${jsonencode(...)}``), an encryption key. Imported tables (data sources) are not
created: the test creates them, since the stack does not say their keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambda_dynamodb.testing.references import Target, UnresolvedReference, resolve

#: Queue arguments of ``aws_sqs_queue`` -> the SQS attribute they set.
_QUEUE_ATTRIBUTES = {
    "visibility_timeout_seconds": "VisibilityTimeout",
    "message_retention_seconds": "MessageRetentionPeriod",
    "delay_seconds": "DelaySeconds",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "max_message_size": "MaximumMessageSize",
    "fifo_queue": "FifoQueue",
    "content_based_deduplication": "ContentBasedDeduplication",
}


@dataclass
class Provisioned:
    """What was created: table and queue names by Terraform address, values only the emulator knows."""

    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    #: ``"aws_dynamodb_table.orders_1A2B.stream_arn"`` -> the stream's ARN, a queue's URL, ...
    known: dict[str, str] = field(default_factory=dict)


def create(stack: Mapping[str, Any], dynamodb: Any, sqs: Any, target: Target) -> Provisioned:
    """Every ``aws_dynamodb_table`` and ``aws_sqs_queue`` of ``stack``, created; their values known."""
    made = Provisioned()
    try:
        for key, config in stack.get("resource", {}).get("aws_dynamodb_table", {}).items():
            description = dynamodb.create_table(**table_arguments(config))["TableDescription"]
            made.tables[f"aws_dynamodb_table.{key}"] = description["TableName"]
            _ttl(dynamodb, config)
            made.known[f"aws_dynamodb_table.{key}.arn"] = description["TableArn"]
            if description.get("LatestStreamArn"):
                made.known[f"aws_dynamodb_table.{key}.stream_arn"] = description["LatestStreamArn"]
                made.known[f"aws_dynamodb_table.{key}.stream_label"] = description["LatestStreamLabel"]
        queues = stack.get("resource", {}).get("aws_sqs_queue", {})
        for key, config in queues.items():
            url = sqs.create_queue(QueueName=config["name"], Attributes=queue_attributes(config))["QueueUrl"]
            made.queues[f"aws_sqs_queue.{key}"] = url
            made.known[f"aws_sqs_queue.{key}.url"] = made.known[f"aws_sqs_queue.{key}.id"] = url
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            made.known[f"aws_sqs_queue.{key}.arn"] = arn
        where = Target(target.partition, target.region, target.account, {**target.known, **made.known})
        for key, config in queues.items():
            # After every queue exists: a redrive policy names its dead-letter queue's ARN.
            if "redrive_policy" in config:
                try:
                    policy = resolve(str(config["redrive_policy"]), stack, where)
                except UnresolvedReference:
                    continue
                sqs.set_queue_attributes(QueueUrl=made.queues[f"aws_sqs_queue.{key}"], Attributes={"RedrivePolicy": policy})
    except Exception:
        delete(made, dynamodb, sqs)
        raise
    return made


def delete(made: Provisioned, dynamodb: Any, sqs: Any) -> None:
    for name in made.tables.values():
        dynamodb.delete_table(TableName=name)
    for url in made.queues.values():
        sqs.delete_queue(QueueUrl=url)
    made.tables.clear()
    made.queues.clear()


def table_arguments(config: Mapping[str, Any]) -> dict[str, Any]:
    """``CreateTable``'s arguments for an ``aws_dynamodb_table`` (the emulator's copy: no deletion protection)."""
    provisioned = config.get("billing_mode", "PROVISIONED") == "PROVISIONED"
    arguments: dict[str, Any] = {
        "TableName": config["name"],
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in config.get("attribute", [])],
        "KeySchema": _keys(config["hash_key"], config.get("range_key")),
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
    }
    if provisioned:
        arguments["ProvisionedThroughput"] = _throughput(config)
    indexes = [
        {"IndexName": i["name"], "KeySchema": _keys(i["hash_key"], i.get("range_key")), "Projection": _projection(i)}
        | ({"ProvisionedThroughput": _throughput(i)} if provisioned else {})
        for i in config.get("global_secondary_index", [])
    ]
    if indexes:
        arguments["GlobalSecondaryIndexes"] = indexes
    local = [
        {"IndexName": i["name"], "KeySchema": _keys(config["hash_key"], i["range_key"]), "Projection": _projection(i)}
        for i in config.get("local_secondary_index", [])
    ]
    if local:
        arguments["LocalSecondaryIndexes"] = local
    if config.get("stream_enabled"):
        arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": config["stream_view_type"]}
    return arguments


def queue_attributes(config: Mapping[str, Any]) -> dict[str, str]:
    """``CreateQueue``'s attributes for an ``aws_sqs_queue`` (literal values only)."""
    found = {}
    for argument, attribute in _QUEUE_ATTRIBUTES.items():
        value = config.get(argument)
        if value is None or (isinstance(value, str) and "${" in value):
            continue
        found[attribute] = str(value).lower() if isinstance(value, bool) else str(value)
    return found


def _keys(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    return keys + [{"AttributeName": range_key, "KeyType": "RANGE"}] if range_key else keys


def _projection(index: Mapping[str, Any]) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.get("projection_type", "ALL")}
    if index.get("non_key_attributes"):
        projection["NonKeyAttributes"] = list(index["non_key_attributes"])
    return projection


def _throughput(config: Mapping[str, Any]) -> dict[str, int]:
    return {"ReadCapacityUnits": int(config.get("read_capacity", 1)), "WriteCapacityUnits": int(config.get("write_capacity", 1))}


def _ttl(dynamodb: Any, config: Mapping[str, Any]) -> None:
    ttl = config.get("ttl") or {}
    if isinstance(ttl, list):
        ttl = ttl[0] if ttl else {}
    if ttl.get("enabled") and ttl.get("attribute_name"):
        dynamodb.update_time_to_live(TableName=config["name"], TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attribute_name"]})
