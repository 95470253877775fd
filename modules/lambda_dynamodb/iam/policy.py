"""A pure-Python, immutable model of IAM policy documents.

One model, two renderings: :meth:`PolicyDocument.render` gives IAM policy JSON for concrete
partition/region/account values (what the tests and linters read), and the role construct
emits the very same statements as an ``aws_iam_policy_document`` data source, rendering each
ARN with Terraform expressions in place of the concrete values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

POLICY_VERSION = "2012-10-17"


class Effect(str, Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class ArnContext:
    """Where ARNs live. Concrete strings for a rendering, Terraform expressions for a stack."""

    partition: str
    region: str
    account: str


@dataclass(frozen=True)
class Arn:
    """An ARN in the context's partition, region and account, or a literal (``*``, a given ARN)."""

    service: str
    resource: str
    literal: bool = False

    @classmethod
    def of(cls, value: str) -> Arn:
        return cls("", value, literal=True)

    def render(self, context: ArnContext) -> str:
        if self.literal:
            return self.resource
        return f"arn:{context.partition}:{self.service}:{context.region}:{context.account}:{self.resource}"

    def child(self, suffix: str) -> Arn:
        """The same ARN with ``suffix`` appended (``/index/*``, ``:*``)."""
        return replace(self, resource=self.resource + suffix)


ANY_RESOURCE = Arn.of("*")


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to (China and GovCloud have their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def table_arn(table_name: str) -> Arn:
    return Arn("dynamodb", f"table/{table_name}")


def log_group_streams_arn(log_group_name: str) -> Arn:
    """The streams of one log group: what CreateLogStream and PutLogEvents act on."""
    return Arn("logs", f"log-group:{log_group_name}:*")


def account_logs_arn() -> Arn:
    return Arn("logs", "*")


@dataclass(frozen=True)
class Principal:
    type: str
    identifiers: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[Arn, ...] = ()
    effect: Effect = Effect.ALLOW
    principals: tuple[Principal, ...] = ()

    def render(self, context: ArnContext) -> dict[str, Any]:
        rendered: dict[str, Any] = {"Effect": self.effect.value}
        for principal in self.principals:
            rendered.setdefault("Principal", {})[principal.type] = _scalar_or_list(principal.identifiers)
        rendered["Action"] = _scalar_or_list(self.actions)
        if self.resources:
            rendered["Resource"] = _scalar_or_list(tuple(arn.render(context) for arn in self.resources))
        return rendered


@dataclass(frozen=True)
class PolicyDocument:
    statements: tuple[Statement, ...] = ()

    def with_statements(self, *statements: Statement) -> PolicyDocument:
        return PolicyDocument(self.statements + statements)

    def render(self, context: ArnContext) -> dict[str, Any]:
        return {"Version": POLICY_VERSION, "Statement": [s.render(context) for s in self.statements]}

    def to_json(self, context: ArnContext) -> str:
        return json.dumps(self.render(context), indent=2)


def _scalar_or_list(values: tuple[str, ...]) -> str | list[str]:
    # IAM (and Terraform's aws_iam_policy_document) writes a single value as a plain string.
    return values[0] if len(values) == 1 else list(values)


LAMBDA_TRUST = PolicyDocument(
    (
        Statement(
            actions=("sts:AssumeRole",),
            principals=(Principal("Service", ("lambda.amazonaws.com",)),),
        ),
    )
)
