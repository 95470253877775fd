"""Smoke test of a deployed function: the deployed code, run with the deployed policy enforced.

1. The function's configuration is read back, and its ``CodeSha256`` must equal the SHA-256 of
   the zip the synthesized stack deployed: what runs below is what was deployed.
2. Its role's policies are read back from IAM; every call the Lambda service makes with the
   role for this configuration (logs, X-Ray when tracing is Active, ...) must be allowed.
3. The handler runs from that zip, unpacked, in a process of its own (Lambda invocation needs
   Docker, which the emulator's machines lack), with the function's environment, against the
   deployed table. Every AWS call it makes is evaluated against the deployed policy (see
   ``iam_enforcer``); a call the policy does not allow is refused as AWS would refuse it.
4. Each answer is checked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from lambda_dynamodb.testing.enforcer import Policies, assumed_role_principal, attached_policies
from lambda_dynamodb.iam.lambda_service import ServiceUse, requirements
from lambda_dynamodb.iam.policy import ArnContext

TOOLS_DIR = Path(__file__).resolve().parent
_SAMPLE_VALUES = {"S": "smoke-{token}", "N": "{number}", "B": b"smoke"}


class SmokeTestFailed(AssertionError):
    pass


@dataclass(frozen=True)
class SmokeResult:
    checks: int
    #: (action, resource) pairs of the handler's AWS calls, each evaluated against the policy.
    calls: int
    policies: str

    def sentence(self) -> str:
        return f"{self.checks} smoke checks passed, {self.calls} AWS calls checked: all allowed by {self.policies}"


def smoke_test(function_name: str, stack_dir: Path, report: Callable[[str], None] = print) -> SmokeResult:
    """Check the deployed code and policy, then run put/get/query/scan/update (and a refused overwrite)."""
    config = boto3.client("lambda").get_function_configuration(FunctionName=function_name)
    variables = config.get("Environment", {}).get("Variables", {})
    report(f"function {config['FunctionName']}: handler {config['Handler']}, runtime {config['Runtime']}, environment {variables}")
    package = deployed_package(stack_dir, function_name)
    _check_code_sha(config, package)
    report(f"ok  the deployed code is {package.relative_to(stack_dir)} (CodeSha256 {config['CodeSha256']})")
    role_name = config["Role"].rsplit("/", 1)[-1]
    policies = attached_policies(boto3.client("iam"), role_name)
    needs = _check_lambda_requirements(config, policies)
    report(f"ok  {policies.names} allows the {needs} calls Lambda makes with {role_name}")
    table_name = variables.get("TABLE_NAME") or _fail("the function's environment has no TABLE_NAME")
    key = _sample_key(table_name)
    checks = _checks(key, next(iter(key)))
    try:
        result = run_handler(package, config, policies, [event for _, event, _ in checks])
    finally:
        boto3.resource("dynamodb").Table(table_name).delete_item(Key=key)
    report(f"ok  the handler ran from the deployed zip, with its own {', '.join(result['packaged'])}")
    for (name, _, expect), answer in zip(checks, result["answers"]):
        if not expect(answer):
            _fail(f"{name}: unexpected answer {answer}" + "".join(f"\n  {denial}" for denial in result["denials"]))
        report(f"ok  {name}")
    if result["denials"]:
        _fail("\n".join(result["denials"]))
    return SmokeResult(len(checks), len(result["calls"]), policies.names)


def deployed_package(stack_dir: Path, function_name: str) -> Path:
    """The zip the synthesized stack gives the function (its ``filename``, beside the stack)."""
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    for function in stack.get("resource", {}).get("aws_lambda_function", {}).values():
        if function.get("function_name") == function_name:
            return (stack_dir / function["filename"]).resolve()
    return _fail(f"{stack_dir / 'cdk.tf.json'} has no function named {function_name}")


def _check_code_sha(config: Mapping[str, Any], package: Path) -> None:
    expected = base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
    if config["CodeSha256"] != expected:
        _fail(f"the deployed code (CodeSha256 {config['CodeSha256']}) is not {package} (SHA-256 {expected}): deploy again")


def _check_lambda_requirements(config: Mapping[str, Any], policies: Policies) -> int:
    """Every call Lambda makes with the role for this configuration must be allowed."""
    arn = config["FunctionArn"].split(":")
    context = ArnContext(partition=arn[1], region=arn[3], account=arn[4])
    needed = requirements(ServiceUse.deployed(config))
    missing = [r for r in needed if not policies.allows(r.action, r.resource.render(context))]
    if missing:
        _fail("\n".join(f"{policies.names} does not allow {r.action} on {r.resource.render(context)}: {r.reason}" for r in missing))
    return len(needed)


def run_handler(package: Path, config: Mapping[str, Any], policies: Policies, events: list[Any]) -> dict[str, Any]:
    """The handler, run from ``package`` unpacked, in its own process, with IAM enforced."""
    with tempfile.TemporaryDirectory(prefix="smoke-") as work:
        code_dir = Path(work) / "code"
        with zipfile.ZipFile(package) as bundle:
            bundle.extractall(code_dir)
        arn = config["FunctionArn"].split(":")
        request = {
            "code_dir": str(code_dir),
            "handler": config["Handler"],
            "events": events,
            "policies": [list(p) for p in policies.documents],
            "principal": assumed_role_principal(config["Role"], config["FunctionName"]),
            "account": arn[4],
            "function": {
                "name": config["FunctionName"],
                "arn": config["FunctionArn"],
                "memory_mb": config["MemorySize"],
                "timeout_seconds": config["Timeout"],
            },
        }
        (Path(work) / "request.json").write_text(json.dumps(request))
        env = {**os.environ, **config.get("Environment", {}).get("Variables", {})}
        env.update(AWS_LAMBDA_FUNCTION_NAME=config["FunctionName"], AWS_REGION=arn[3], AWS_DEFAULT_REGION=arn[3])
        command = [sys.executable, str(TOOLS_DIR / "handler_runner.py"), f"{work}/request.json", f"{work}/result.json"]
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            _fail(f"the handler from {package.name} failed to run:\n{run.stderr[-3000:]}")
        result: dict[str, Any] = json.loads((Path(work) / "result.json").read_text())
        result["packaged"] = _packaged_modules(code_dir, result.pop("modules"))
    return result


def _packaged_modules(code_dir: Path, modules: Mapping[str, str | None]) -> list[str]:
    """The top-level modules the handler imported from the zip; none may come from elsewhere."""
    packaged = {path.name.removesuffix(".py") for path in code_dir.iterdir() if not path.name.endswith(".dist-info")}
    imported = {name.split(".")[0]: path for name, path in modules.items() if path}
    strays = sorted(name for name, path in imported.items() if name in packaged and not path.startswith(str(code_dir)))
    if strays:
        _fail(f"{', '.join(strays)} came from this environment, not from the deployed zip")
    return sorted(name for name in imported if name in packaged)


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

