"""Smoke test of a deployed function: the deployed code, run with the deployed policy enforced.

1. The function's configuration is read back, and its ``CodeSha256`` must equal the SHA-256 of
   the zip the synthesized stack deployed: what runs below is what was deployed.
2. Its role's policies are read back from IAM; every call the Lambda service makes with the
   role for this configuration (logs, X-Ray when tracing is Active, ...) must be allowed.
3. The handler runs from that zip, unpacked, in a process of its own (Lambda invocation needs
   Docker, which the emulator's machines lack), with the function's environment, against the
   deployed table. Every AWS call it makes is evaluated against the deployed policy (see
   :mod:`.enforcer`); a call the policy does not allow is refused as AWS would refuse it.
4. Each answer is checked.

Steps 1-2 are :func:`verify_deployed`, steps 3-4 :func:`run_deployed`, with the checks (events
and what their answers must be) of the app's own handler: the sample app's are in this
repository's run-book (``tools/smoke.py``), since they are its handler's protocol.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from lambda_dynamodb.iam.lambda_service import ServiceUse, requirements
from lambda_dynamodb.iam.policy import ArnContext
from lambda_dynamodb.testing.enforcer import Policies, assumed_role_principal, attached_policies
from lambda_dynamodb.testing.invoke import FunctionIdentity, InvocationFailed, run_package


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


Check = tuple[str, Any, Callable[[Any], bool]]
"""A smoke check: its name, the event the handler gets, what its answer must satisfy."""


@dataclass(frozen=True)
class DeployedFunction:
    """A deployed function whose code and role were checked: what :func:`run_deployed` runs."""

    config: Mapping[str, Any]
    package: Path
    policies: Policies


def verify_deployed(function_name: str, stack_dir: Path, report: Callable[[str], None] = print) -> DeployedFunction:
    """Steps 1 and 2: the deployed code is the stack's zip, and its role allows what Lambda does with it.

    boto3's default session (its ``AWS_*`` environment) names where the function is deployed.
    """
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
    return DeployedFunction(config, package, policies)


def run_deployed(function: DeployedFunction, checks: list[Check], report: Callable[[str], None] = print) -> SmokeResult:
    """Steps 3 and 4: the handler on each check's event, from the deployed zip, the deployed policy enforced."""
    result = run_handler(function.package, function.config, function.policies, [event for _, event, _ in checks])
    report(f"ok  the handler ran from the deployed zip, with its own {', '.join(result['packaged'])}")
    for (name, _, expect), answer in zip(checks, result["answers"]):
        if not expect(answer):
            _fail(f"{name}: unexpected answer {answer}" + "".join(f"\n  {denial}" for denial in result["denials"]))
        report(f"ok  {name}")
    if result["denials"]:
        _fail("\n".join(result["denials"]))
    return SmokeResult(len(checks), len(result["calls"]), function.policies.names)


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
    """The handler, run from ``package`` unpacked, in its own process, with IAM enforced.

    ``config``: the function's configuration as Lambda answers it (``GetFunctionConfiguration``);
    the AWS settings (endpoint, credentials) are this process's ``AWS_*`` variables. A handler
    that raises fails the smoke test.
    """
    arn = config["FunctionArn"].split(":")
    identity = FunctionIdentity(
        name=config["FunctionName"],
        arn=config["FunctionArn"],
        principal=assumed_role_principal(config["Role"], config["FunctionName"]),
        account=arn[4],
        memory_mb=config["MemorySize"],
        timeout_seconds=config["Timeout"],
    )
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")} | {"AWS_REGION": arn[3], "AWS_DEFAULT_REGION": arn[3]}
    variables = dict(config.get("Environment", {}).get("Variables", {}))
    try:
        result = run_package(package, config["Handler"], events, policies, identity, {**aws, **variables})
    except InvocationFailed as error:
        return _fail(str(error))
    if result.errors:
        shown = "\n".join(f"{e['errorType']}: {e['errorMessage']}" for e in result.errors)
        _fail(f"the handler from {package.name} failed to run:\n{shown}\n{result.logs[-3000:]}")
    return {"answers": result.answers, "calls": result.calls, "denials": result.denials, "packaged": result.packaged}


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

