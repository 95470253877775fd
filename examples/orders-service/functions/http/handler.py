"""orders-http: the orders API, behind a Lambda function URL (AWS_IAM auth).

    GET /?customer=c-1&id=o-1   200 {"order": {...}}  or 404
    GET /?customer=c-1          200 {"orders": [...], "next": "<token>" | null}  (query, newest first)

Events and answers are the function URL's (payload format 2.0). Reads ``TABLE_NAME`` only.
"""

from __future__ import annotations

import base64
import json
import os
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

PAGE_SIZE = 25


def respond(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, default=_number),
    }


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _token(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None


def _start_key(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.encode()))


def get_order(customer: str, order_id: str) -> dict[str, Any]:
    item = table.get_item(Key={"pk": f"CUSTOMER#{customer}", "sk": f"ORDER#{order_id}"}).get("Item")
    if item is None:
        return respond(404, {"message": f"no order {order_id} for customer {customer}"})
    return respond(200, {"order": item})


def list_orders(customer: str, token: str | None) -> dict[str, Any]:
    condition = Key("pk").eq(f"CUSTOMER#{customer}") & Key("sk").begins_with("ORDER#")
    if token:
        page = table.query(KeyConditionExpression=condition, ScanIndexForward=False, Limit=PAGE_SIZE, ExclusiveStartKey=_start_key(token))
    else:
        page = table.query(KeyConditionExpression=condition, ScanIndexForward=False, Limit=PAGE_SIZE)
    return respond(200, {"orders": page["Items"], "next": _token(page.get("LastEvaluatedKey"))})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    if method != "GET":
        return respond(405, {"message": f"{method} is not allowed: GET only"})
    query = event.get("queryStringParameters") or {}
    customer = query.get("customer")
    if not customer:
        return respond(400, {"message": "customer is required"})
    try:
        if query.get("id"):
            return get_order(customer, query["id"])
        return list_orders(customer, query.get("next"))
    except (ValueError, json.JSONDecodeError):
        return respond(400, {"message": "next is not a token this API gave"})
