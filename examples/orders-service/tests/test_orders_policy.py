"""The orders service as it would be deployed: its synthesized policies, and its functions run
from their built packages against an emulator with those policies enforced.

Uses only the ``lambda_dynamodb`` pytest plugin (installed with the library; conftest.py names
the app): ``synthesized_stack`` is this app synthesized once for the session, and
``emulated_stack`` gives each test fresh copies of the stack's tables and queue in moto's
server. Each function runs from the zip its ``aws_lambda_function`` deploys, in a process of
its own, with the variables the stack gives it; every AWS call it makes is evaluated against the
function's synthesized policy, and one the policy does not allow is refused with AWS's
AccessDenied, as IAM would refuse it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

#: moto's account, and the region of cdktf.json.
ACCOUNT, REGION = "123456789012", "eu-west-1"
ARCHIVE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Archive"
ORDERS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"
#: What AWS answers orders-sync for a GetItem on Archive: its policy reads Orders only.
SYNC_READING_ARCHIVE = (
    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/orders-sync-role/orders-sync is not authorized to perform: "
    f"dynamodb:GetItem on resource: {ARCHIVE_ARN} because no identity-based policy allows the dynamodb:GetItem action"
)


# --- the synthesized policies ------------------------------------------------------------------


def test_the_sync_function_reads_orders_and_writes_the_archive_only(synthesized_stack: Any) -> None:
    # Partial match: the statements holding at least this action, ARNs shown as the table they name.
    assert synthesized_stack.statements("orders-sync", {"Action": ["dynamodb:GetItem"]}) == [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": ["table/Orders"]}
    ]
    dynamodb = [s for s in synthesized_stack.statements("orders-sync") if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert dynamodb == [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": ["table/Orders"]},
        {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": ["table/Archive"]},
    ]
    assert not synthesized_stack.allows("orders-sync", "dynamodb:GetItem", "Archive")
    assert not synthesized_stack.allows("orders-sync", "dynamodb:PutItem", "Orders")


def test_the_stream_function_may_read_the_orders_stream_and_write_the_archive(synthesized_stack: Any) -> None:
    reads = {"Action": ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"], "Resource": ["table/Orders/stream/*"]}
    assert synthesized_stack.statements("orders-stream", reads)
    assert synthesized_stack.statements("orders-stream", {"Action": ["dynamodb:PutItem"], "Resource": ["table/Archive"]})
    assert not synthesized_stack.allows("orders-stream", "dynamodb:PutItem", "Orders")


def test_the_http_function_only_reads(synthesized_stack: Any) -> None:
    assert synthesized_stack.allows("orders-http", "dynamodb:Query", "Orders")
    assert not any(synthesized_stack.allows("orders-http", a, "Orders") for a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"))


# --- the functions, run from their packages ----------------------------------------------------


def test_a_call_the_policy_does_not_allow_fails_with_aws_access_denied(emulated_stack: Any) -> None:
    """orders-sync's TABLE_NAME pointed at Archive: its GetItem there is refused as AWS refuses it."""
    result = emulated_stack.invoke("orders-sync", [{"customer": "c-1", "id": "o-1"}], environment={"TABLE_NAME": "Archive"})
    assert result.denials == [SYNC_READING_ARCHIVE]
    (error,) = result.errors
    assert error["errorType"] == "ClientError"
    assert error["errorMessage"] == f"An error occurred (AccessDeniedException) when calling the GetItem operation: {SYNC_READING_ARCHIVE}"


def test_the_stream_function_archives_the_records_of_the_real_stream(emulated_stack: Any) -> None:
    orders = emulated_stack.table("Orders")
    orders.put_item(Item={"pk": "CUSTOMER#c-1", "sk": "ORDER#o-1", "total": Decimal("12.50")})
    orders.update_item(Key={"pk": "CUSTOMER#c-1", "sk": "ORDER#o-1"}, UpdateExpression="SET #t = :t", ExpressionAttributeNames={"#t": "total"}, ExpressionAttributeValues={":t": 13})
    # Read from the Orders stream through DynamoDB Streams, with orders-stream's policy, as its mapping reads it.
    events = emulated_stack.poll("orders-stream")
    records = [record for event in events for record in event["Records"]]
    assert [(r["eventName"], r["dynamodb"]["NewImage"]["total"]) for r in records] == [("INSERT", {"N": "12.50"}), ("MODIFY", {"N": "13"})]
    result = emulated_stack.invoke("orders-stream", events)
    assert result.answers == [{"batchItemFailures": []}]
    assert (result.denials, set(result.actions)) == ([], {("dynamodb:PutItem", ARCHIVE_ARN)})
    archived = sorted(emulated_stack.table("Archive").scan()["Items"], key=lambda entry: entry["sk"])
    assert [e["sk"] for e in archived] == [f"ORDER#o-1#{r['eventName']}#{r['dynamodb']['SequenceNumber']}" for r in records]
    assert [e["order"]["total"] for e in archived] == [Decimal("12.50"), Decimal("13")]


def test_the_intake_function_stores_the_orders_of_its_queue(emulated_stack: Any) -> None:
    queue_url = emulated_stack.client("sqs").get_queue_url(QueueName="orders-intake")["QueueUrl"]
    emulated_stack.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({"customer": "c-2", "id": "o-9", "total": "7.25"}))
    result = emulated_stack.deliver("orders-intake")  # received with its role, handled, the batch deleted
    assert (result.answers, result.denials) == ([{"batchItemFailures": []}], [])
    item = emulated_stack.table("Orders").get_item(Key={"pk": "CUSTOMER#c-2", "sk": "ORDER#o-9"})["Item"]
    assert (item["status"], item["total"]) == ("received", Decimal("7.25"))
    assert emulated_stack.poll("orders-intake") == []


def test_the_sync_function_copies_an_order_into_the_archive(emulated_stack: Any) -> None:
    emulated_stack.table("Orders").put_item(Item={"pk": "CUSTOMER#c-1", "sk": "ORDER#o-1", "total": 5})
    result = emulated_stack.invoke("orders-sync", [{"customer": "c-1", "id": "o-1"}])
    (answer,) = result.answers
    assert answer["archived"] is True
    assert result.actions == [("dynamodb:GetItem", ORDERS_ARN), ("dynamodb:PutItem", ARCHIVE_ARN)]
    assert [e["sk"] for e in emulated_stack.table("Archive").scan()["Items"]] == [answer["sk"]]
