"""Smoke test of a deployed function: its configuration read back, its handler run in-process.

Lambda invocation needs Docker, which the local emulator's machines lack; so the handler the
function is configured with is loaded from ``lambda/`` and run here, with the function's own
environment, against the deployed table. Each answer is checked.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

PROJECT_DIR = Path(__file__).resolve().parent.parent
SOURCE_DIR = PROJECT_DIR / "lambda"
_SAMPLE_VALUES = {"S": "smoke-{token}", "N": "{number}", "B": b"smoke"}


class SmokeTestFailed(AssertionError):
    pass


def smoke_test(function_name: str, report: Callable[[str], None] = print, source_dir: Path = SOURCE_DIR) -> int:
    """Run put/get/query/scan/update (and a refused overwrite) through the deployed function's handler; returns checks passed."""
    config = boto3.client("lambda").get_function_configuration(FunctionName=function_name)
    variables = config.get("Environment", {}).get("Variables", {})
    report(f"function {config['FunctionName']}: handler {config['Handler']}, runtime {config['Runtime']}, environment {variables}")
    handler = _load_handler(source_dir, config["Handler"])
    table_name = variables.get("TABLE_NAME") or _fail("the function's environment has no TABLE_NAME")
    key = _sample_key(table_name)
    partition_name = next(iter(key))
    checks = _checks(key, partition_name)
    try:
        with environment(variables):
            for name, event, expect in checks:
                answer = handler(event, None)
                if not expect(answer):
                    _fail(f"{name}: unexpected answer {answer}")
                report(f"ok  {name}")
    finally:
        boto3.resource("dynamodb").Table(table_name).delete_item(Key=key)
    return len(checks)


Check = tuple[str, dict[str, Any], Callable[[dict[str, Any]], bool]]


def _checks(key: dict[str, Any], partition_name: str) -> list[Check]:
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


def _sample_key(table_name: str) -> dict[str, Any]:
    table = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    token = uuid.uuid4().hex[:12]
    key: dict[str, Any] = {}
    for element in table["KeySchema"]:
        template = _SAMPLE_VALUES[types[element["AttributeName"]]]
        value = template if isinstance(template, bytes) else template.format(token=token, number=int(token, 16) % 10**9)
        key[element["AttributeName"]] = int(value) if types[element["AttributeName"]] == "N" else value
    return key


def _load_handler(source_dir: Path, handler: str) -> Callable[[Any, Any], dict[str, Any]]:
    module_name, function_name = handler.rsplit(".", 1)
    path = source_dir / f"{module_name.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(f"deployed_{module_name.replace('.', '_')}", path)
    if spec is None or spec.loader is None:
        _fail(f"handler module {path} cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function_name)  # type: ignore[no-any-return]


@contextmanager
def environment(variables: dict[str, str], *, replace: bool = False) -> Iterator[None]:
    """``variables`` in os.environ (on top of it, or instead of it) for the block's duration."""
    saved = dict(os.environ)
    if replace:
        os.environ.clear()
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _fail(message: str) -> Any:
    raise SmokeTestFailed(message)
