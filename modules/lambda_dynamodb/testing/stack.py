"""A synthesized app, read back: its stacks, each stack's functions, their policies' statements.

Everything here reads ``cdktf.out`` only (``cdk.tf.json``, the permissions manifest when the
stack has one): what Terraform would deploy, not what the app's objects say about themselves.

    app = SynthesizedApp(Path("cdktf.out"))
    stack = app.stack()                       # the only stack, or app.stack("orders-service")
    stack.statements("orders-sync")           # [{"Effect": "Allow", "Action": [...], "Resource": ["table/Orders"]}, ...]
    stack.allows("orders-sync", "dynamodb:GetItem", "Orders")
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from lambda_dynamodb.synthesis.manifest_model import FILE_NAME
from lambda_dynamodb.synthesis.manifest import ManifestError, stack_folders
from lambda_dynamodb.testing.references import READABLE_TARGET, Target, readable, resolve
from lambda_dynamodb.testing.statements import PolicySource, external_policies, find_statements, role_policies

#: The region of a stack whose provider names none (Terraform would take AWS_REGION).
DEFAULT_REGION = "us-east-1"
#: The account ARNs are resolved in: moto's default account (the emulator's).
DEFAULT_ACCOUNT = "123456789012"


class StackError(LookupError):
    """A stack or function the synthesized output does not hold (the message lists what it holds)."""


@dataclass(frozen=True)
class StackFunction:
    """One ``aws_lambda_function`` of a stack, as synthesized."""

    name: str
    #: Its Terraform address (``aws_lambda_function.sync_function_350FCC93``).
    address: str
    config: Mapping[str, Any]
    #: The zip the stack deploys (``filename``, resolved against the stack's folder).
    package: Path
    role_name: str
    policies: tuple[PolicySource, ...]
    #: Managed policies attached from outside the stack (by ARN): their statements are unknown here.
    external_policies: tuple[str, ...] = ()

    @property
    def handler(self) -> str:
        return str(self.config["handler"])

    @property
    def runtime(self) -> str:
        return str(self.config.get("runtime", ""))

    @property
    def memory_mb(self) -> int:
        return int(self.config.get("memory_size", 128))

    @property
    def timeout_seconds(self) -> int:
        return int(self.config.get("timeout", 3))

    @property
    def environment(self) -> Mapping[str, str]:
        """The variables as synthesized (references unresolved)."""
        return dict(self.config.get("environment", {}).get("variables", {}))


class SynthesizedStack:
    """One stack folder of ``cdktf.out``: ``cdk.tf.json`` parsed, its functions and their policies."""

    def __init__(self, stack_dir: Path) -> None:
        self.dir = Path(stack_dir)
        self.name = self.dir.name
        path = self.dir / "cdk.tf.json"
        if not path.is_file():
            raise StackError(f"{self.dir} is not a synthesized stack: it has no cdk.tf.json")
        self.json: dict[str, Any] = json.loads(path.read_text())

    def __repr__(self) -> str:
        return f"SynthesizedStack({str(self.dir)!r})"

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        return dict(self.json.get("resource", {}))

    @property
    def region(self) -> str:
        """The AWS provider's literal region (the first provider block), else :data:`DEFAULT_REGION`."""
        providers = self.json.get("provider", {}).get("aws", [])
        region = (providers[0] if providers else {}).get("region", DEFAULT_REGION)
        return region if isinstance(region, str) and "${" not in region else DEFAULT_REGION

    def target(self, account: str = DEFAULT_ACCOUNT, known: Mapping[str, str] | None = None) -> Target:
        from lambda_dynamodb.iam.policy import partition_of

        return Target(partition_of(self.region), self.region, account, dict(known or {}))

    @cached_property
    def manifest(self) -> Any:
        """The permissions manifest (``lambda_dynamodb.synthesis.manifest.Manifest``); None without one."""
        if not (self.dir / FILE_NAME).is_file():
            return None
        from lambda_dynamodb.synthesis.manifest import load

        return load(self.dir)

    @cached_property
    def functions(self) -> dict[str, StackFunction]:
        """Every function of the stack, by ``function_name``."""
        found = {}
        for key, config in self.resources.get("aws_lambda_function", {}).items():
            role = resolve(str(config["role"]), self.json, self.target())
            role_name = role.rsplit("/", 1)[-1]
            name = str(config["function_name"])
            package = (self.dir / str(config.get("filename", ""))).resolve()
            policies = role_policies(self.json, role_name)
            external = external_policies(self.json, role_name)
            found[name] = StackFunction(name, f"aws_lambda_function.{key}", config, package, role_name, policies, external)
        return found

    def function(self, name: str) -> StackFunction:
        """The function named ``name`` (its ``function_name``); StackError names the others."""
        if name not in self.functions:
            held = ", ".join(sorted(self.functions)) or "none"
            raise StackError(f"stack {self.name} has no function named {name!r} (its functions: {held})")
        return self.functions[name]

    def statements(self, function: str, matching: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The statements of the function's policies, with ARNs shown as the resources they name.

        Each statement is IAM JSON (``Effect``, ``Action``/``NotAction``, ``Resource``/``NotResource``
        as lists, ``Condition`` when set); resources read ``table/Orders``,
        ``table/Orders/index/*``, ``table/Orders/stream/*``, ``log-group:/aws/lambda/f:*``, the
        queue's name, ``*``. ``matching``: only the statements that hold everything it names
        (``{"Action": ["dynamodb:GetItem"], "Resource": ["table/Orders"]}``: at least that action
        and that resource; a string value must be equal).
        """
        own = Target(self.target().partition, self.region, READABLE_TARGET.account)
        found = [
            _readable_statement(statement, self.json, own)
            for source in self.function(function).policies
            for statement in source.readable_statements()
        ]
        return find_statements(found, matching) if matching is not None else found

    def policy_documents(self, function: str, target: Target | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(policy name, IAM JSON document) of each of the function's policies, ARNs resolved at ``target``."""
        where = target or self.target()
        return [(source.name, source.document(self.json, where)) for source in self.function(function).policies]

    def allows(self, function: str, action: str, resource: str) -> bool:
        """Does the function's role allow ``action`` on ``resource``? IAM's rules (``iam.evaluation``).

        ``resource``: a table's name (``Orders``), a readable form (``table/Orders/index/byDate``),
        an ARN, or ``*``.
        """
        from lambda_dynamodb.iam.evaluation import allows

        target = self.target()
        merged = {"Statement": [s for _, document in self.policy_documents(function, target) for s in document["Statement"]]}
        return allows(merged, action, _as_arn(resource, target))


class SynthesizedApp:
    """A ``cdktf.out`` folder: its stacks (``stacks/<name>``)."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = Path(outdir)

    def __repr__(self) -> str:
        return f"SynthesizedApp({str(self.outdir)!r})"

    @cached_property
    def stacks(self) -> dict[str, SynthesizedStack]:
        try:
            folders = stack_folders(self.outdir)
        except ManifestError as error:
            raise StackError(str(error)) from None
        return {name: SynthesizedStack(d) for name, d in folders.items() if (d / "cdk.tf.json").is_file()}

    def stack(self, name: str | None = None) -> SynthesizedStack:
        """The stack named ``name``; without a name, the app's only stack."""
        if name is None and len(self.stacks) == 1:
            return next(iter(self.stacks.values()))
        if name is None or name not in self.stacks:
            held = ", ".join(self.stacks) or "none"
            wanted = f"no stack named {name!r}" if name else "more than one stack: name one"
            raise StackError(f"{self.outdir} has {wanted} (its stacks: {held})")
        return self.stacks[name]


def _readable_statement(statement: Mapping[str, Any], stack: Mapping[str, Any], own: Target) -> dict[str, Any]:
    shown: dict[str, Any] = dict(statement)
    for key in ("Resource", "NotResource"):
        if key in shown:
            shown[key] = [readable(str(r), stack, own=own) for r in _as_list(shown[key])]
    for key in ("Action", "NotAction"):
        if key in shown:
            shown[key] = _as_list(shown[key])
    return shown


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _as_arn(resource: str, target: Target) -> str:
    if resource == "*" or resource.startswith("arn:"):
        return resource
    if resource.startswith("table/"):
        return target.arn("dynamodb", resource)
    return target.arn("dynamodb", f"table/{resource}")
