"""A redeploy that changes memory, timeout, access and the code keeps every item of the table."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import Access, LambdaDynamoDb

from conftest import PROJECT_DIR, Deployment, deployed, module_settings, synth_stack

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

ITEMS = [{"pk": {"S": f"order#{i}"}, "sk": {"S": "v1"}, "total": {"N": str(i * 7)}, "note": {"S": "kept"}} for i in range(40)]


def settings_for(code: Path, **function_changes: Any) -> Any:
    settings = module_settings(access=Access.READ_WRITE)
    return replace(settings, function=replace(settings.function, source_dir=code, **function_changes))


def every_item(deployment: Deployment) -> list[dict[str, Any]]:
    pages = deployment.client("dynamodb").get_paginator("scan").paginate(TableName="SampleTable", ConsistentRead=True)
    return sorted((item for page in pages for item in page["Items"]), key=lambda item: item["pk"]["S"])


def test_items_survive_a_redeploy_of_memory_timeout_access_and_code(tmp_path: Path) -> None:
    code = shutil.copytree(PROJECT_DIR / "lambda", tmp_path / "code", ignore=shutil.ignore_patterns("__pycache__"))
    first = settings_for(code)
    synth_stack(tmp_path / "v1", lambda stack: LambdaDynamoDb(stack, "module", first))
    with deployed(tmp_path / "v1" / "stacks" / "test", tmp_path / "work") as deployment:
        dynamodb = deployment.client("dynamodb")
        for start in range(0, len(ITEMS), 25):
            dynamodb.batch_write_item(RequestItems={"SampleTable": [{"PutRequest": {"Item": i}} for i in ITEMS[start : start + 25]]})
        before = every_item(deployment)
        old_code = deployment.client("lambda").get_function_configuration(FunctionName="MyLambdaFunction")["CodeSha256"]

        with (code / "handler.py").open("a") as handler:
            handler.write("\n# version 2\n")
        second = replace(settings_for(code, memory_mb=512, timeout_seconds=30), access=Access.FROM_CODE)
        synth_stack(tmp_path / "v2", lambda stack: LambdaDynamoDb(stack, "module", second))
        plan = deployment.plan_next(tmp_path / "v2" / "stacks" / "test")
        deployment.terraform("apply", "-input=false", "-no-color", "next.plan")

        actions = {change["address"]: change["change"]["actions"] for change in plan["resource_changes"]}
        assert not [a for a, act in actions.items() if "delete" in act], actions
        config = deployment.client("lambda").get_function_configuration(FunctionName="MyLambdaFunction")
        assert (config["MemorySize"], config["Timeout"]) == (512, 30) and config["CodeSha256"] != old_code
        assert every_item(deployment) == before and len(before) == len(ITEMS)
