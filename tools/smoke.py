"""The sample app's smoke test: what `make deploy` checks its deployed function answers.

The package's :mod:`lambda_dynamodb.testing.smoke` does the generic part for any function:
the deployed code is the stack's zip, its role allows what Lambda does with it
(``verify_deployed``), and the handler runs from that zip with the deployed policy enforced on
every AWS call (``run_deployed``). What the events are and what the answers must be is the
sample handler's own protocol (``lambda/handler.py``: ``{"action": "put", "item": ...}``), so it
lives here, in the run-book of this repository, not in the package.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from lambda_dynamodb.testing.smoke import Check, SmokeResult, SmokeTestFailed, environment, run_deployed, verify_deployed

__all__ = ["SmokeResult", "SmokeTestFailed", "environment", "sample_checks", "smoke_test"]

#: A fresh key value per attribute type of the table's key (a token keeps runs apart).
_SAMPLE_VALUES = {"S": "smoke-{token}", "N": "{number}", "B": b"smoke"}


def smoke_test(function_name: str, stack_dir: Path, report: Callable[[str], None] = print) -> SmokeResult:
    """The deployed code and policy checked, then put/get/query/scan/update and a refused overwrite
    on a fresh key of the function's ``TABLE_NAME`` (deleted afterwards).

    boto3's default session (the ``AWS_*`` environment) names where the function is deployed.
    """
    function = verify_deployed(function_name, stack_dir, report)
    variables = function.config.get("Environment", {}).get("Variables", {})
    table_name = variables.get("TABLE_NAME")
    if not table_name:
        raise SmokeTestFailed(f"{function_name}'s environment has no TABLE_NAME: it is not the sample handler, whose checks these are")
    key = sample_key(table_name)
    try:
        return run_deployed(function, sample_checks(key, next(iter(key))), report)
    finally:
        boto3.resource("dynamodb").Table(table_name).delete_item(Key=key)


def sample_checks(key: dict[str, Any], partition_name: str) -> list[Check]:
    """The sample handler's checks (its ``action`` events and answers) on the item ``key``."""
    item = {**key, "note": "hello"}
    return [
        ("put a new item", {"action": "put", "item": item}, lambda a: a["ok"] and a["item"]["note"] == "hello"),
        ("get it back", {"action": "get", "key": key}, lambda a: a["ok"] and a["found"] and a["item"]["note"] == "hello"),
        (
            "query its partition",
            {"action": "query", "partition_key": {"name": partition_name, "value": key[partition_name]}},
            lambda a: a["ok"] and a["count"] == 1,
        ),
        ("scan the table", {"action": "scan", "limit": 100}, lambda a: a["ok"] and a["count"] >= 1),
        ("update it", {"action": "update", "key": key, "set": {"note": "updated"}}, lambda a: a["ok"] and a["item"]["note"] == "updated"),
        ("refuse to overwrite it", {"action": "put", "item": item}, lambda a: not a["ok"] and a["error"]["type"] == "BadRequest"),
    ]


def sample_key(table_name: str) -> dict[str, Any]:
    """A key no item of the table has yet, in the table's key schema."""
    table = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    token = uuid.uuid4().hex[:12]
    key: dict[str, Any] = {}
    for element in table["KeySchema"]:
        template = _SAMPLE_VALUES[types[element["AttributeName"]]]
        value = template if isinstance(template, bytes) else template.format(token=token, number=int(token, 16) % 10**9)
        key[element["AttributeName"]] = int(value) if types[element["AttributeName"]] == "N" else value
    return key
