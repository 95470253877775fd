"""Terraform references in a synthesized stack (``${aws_dynamodb_table.orders_1A2B.arn}``), resolved.

A stack's JSON names its own resources by reference: a policy's resource is
``${aws_dynamodb_table.orders_1A2B.arn}/index/*``, a function's ``TABLE_NAME`` is
``${aws_dynamodb_table.orders_1A2B.name}``, the module's ARNs carry the partition, region and
account as data-source references. Terraform knows their values only at apply; the values a
test needs follow from the resources' own configuration (a table's ARN from its ``name``), in
the partition, region and account of a :class:`Target`. A value only the running service knows
(a stream's label, a queue's URL) comes from ``Target.known``, filled in by whoever created the
resource (the emulated stack); without it the reference stays unresolved and is reported so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: ``${type.name.attribute}`` or ``${data.type.name.attribute}``: a plain reference, no expression.
REFERENCE = re.compile(r"(?<!\$)\$\{(?P<address>(?:data\.)?[A-Za-z0-9_]+\.[A-Za-z0-9_-]+)\.(?P<attribute>[A-Za-z0-9_]+)\}")
_ARN = re.compile(r"arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)", re.DOTALL)


class UnresolvedReference(LookupError):
    """A reference whose value cannot be known without deploying (it names what and why)."""


@dataclass(frozen=True)
class Target:
    """Where the stack's resources are: partition, region, account, and values known from the service."""

    partition: str
    region: str
    account: str
    #: ``"aws_dynamodb_table.orders_1A2B.stream_arn"`` -> its value, once the resource exists somewhere.
    known: Mapping[str, str] = field(default_factory=dict)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


#: What a resource type's attribute is, from the resource's configuration (``config``).
_Rule = Callable[[Mapping[str, Any], Target], str]
_RULES: dict[str, dict[str, _Rule]] = {
    "aws_dynamodb_table": {
        "name": lambda c, t: c["name"],
        "id": lambda c, t: c["name"],
        "arn": lambda c, t: t.arn("dynamodb", f"table/{c['name']}"),
    },
    "aws_sqs_queue": {
        "name": lambda c, t: c["name"],
        "arn": lambda c, t: t.arn("sqs", c["name"]),
    },
    "aws_lambda_function": {
        "function_name": lambda c, t: c["function_name"],
        "id": lambda c, t: c["function_name"],
        "arn": lambda c, t: t.arn("lambda", f"function:{c['function_name']}"),
    },
    "aws_iam_role": {
        "name": lambda c, t: c["name"],
        "id": lambda c, t: c["name"],
        "arn": lambda c, t: t.arn("iam", f"role{c.get('path', '/')}{c['name']}", region=False),
    },
    "aws_iam_policy": {
        "name": lambda c, t: c["name"],
        "arn": lambda c, t: t.arn("iam", f"policy{c.get('path', '/')}{c['name']}", region=False),
    },
    "aws_cloudwatch_log_group": {
        "name": lambda c, t: c["name"],
        "id": lambda c, t: c["name"],
        "arn": lambda c, t: t.arn("logs", f"log-group:{c['name']}"),
    },
    "aws_sns_topic": {
        "name": lambda c, t: c["name"],
        "arn": lambda c, t: t.arn("sns", c["name"]),
    },
    "aws_s3_bucket": {
        "bucket": lambda c, t: c["bucket"],
        "id": lambda c, t: c["bucket"],
        "arn": lambda c, t: t.arn("s3", c["bucket"], region=False, account=False),
    },
}
_DATA_RULES: dict[str, dict[str, Callable[[Target], str]]] = {
    "aws_partition": {"partition": lambda t: t.partition},
    "aws_region": {"name": lambda t: t.region, "region": lambda t: t.region, "id": lambda t: t.region},
    "aws_caller_identity": {"account_id": lambda t: t.account, "id": lambda t: t.account},
}


def resolve(text: str, stack: Mapping[str, Any], target: Target) -> str:
    """``text`` with every reference replaced by its value at ``target``; raises UnresolvedReference."""

    def value(match: re.Match[str]) -> str:
        return reference_value(match["address"], match["attribute"], stack, target)

    resolved = REFERENCE.sub(value, text)
    if re.search(r"(?<!\$)\$\{", resolved):
        raise UnresolvedReference(f"{text!r} holds a Terraform expression that is not a plain reference: only its apply knows its value")
    return _unescaped(resolved)


def resolve_known(text: str, stack: Mapping[str, Any], target: Target) -> str:
    """``text`` with the references that have a value at ``target`` replaced, the others kept as written.

    For policies: a resource whose ARN only Terraform knows (a KMS key's) stays
    ``${aws_kms_key.k.arn}``, which no request's ARN equals, so it allows nothing here.
    """

    def value(match: re.Match[str]) -> str:
        try:
            return reference_value(match["address"], match["attribute"], stack, target)
        except UnresolvedReference:
            return match[0]

    return _unescaped(REFERENCE.sub(value, text))


def _unescaped(text: str) -> str:
    """Terraform's escapes: ``$${`` is a literal ``${`` (and ``%%{`` a literal ``%{``)."""
    return text.replace("$${", "${").replace("%%{", "%{")


def reference_value(address: str, attribute: str, stack: Mapping[str, Any], target: Target) -> str:
    """The value of ``address.attribute`` (``aws_sqs_queue.intake.arn``) at ``target``."""
    key = f"{address}.{attribute}"
    if key in target.known:
        return target.known[key]
    if address.startswith("data."):
        _, kind, name = address.split(".", 2)
        rule = _DATA_RULES.get(kind, {}).get(attribute)
        if rule is None or name not in stack.get("data", {}).get(kind, {}):
            raise UnresolvedReference(f"${{{key}}}: the value of data source {kind} is known only when Terraform reads it")
        return rule(target)
    kind, name = address.split(".", 1)
    config = stack.get("resource", {}).get(kind, {}).get(name)
    if config is None:
        raise UnresolvedReference(f"${{{key}}}: the stack has no resource {address}")
    rule = _RULES.get(kind, {}).get(attribute)
    if rule is None:
        raise UnresolvedReference(f"${{{key}}}: {kind}'s {attribute} is known only once the resource exists")
    try:
        return rule(config, target)
    except KeyError as missing:
        raise UnresolvedReference(f"${{{key}}}: {address} sets no literal {missing.args[0]}") from None


#: The target readable forms are rendered in: placeholders that never match a real ARN's fields.
READABLE_TARGET = Target("<partition>", "<region>", "<account>")


def readable(text: str, stack: Mapping[str, Any], *, own: Target = READABLE_TARGET) -> str:
    """``text`` as a test reads it: an ARN of the stack's own account as its resource part.

    ``${aws_dynamodb_table.orders_1A2B.arn}/index/*`` -> ``table/Orders/index/*``;
    ``arn:${data.aws_partition...}:logs:...:log-group:/aws/lambda/f:*`` -> ``log-group:/aws/lambda/f:*``;
    an SQS queue's ARN -> the queue's name; ``*`` and ARNs of other accounts stay whole;
    a reference nothing can resolve stays as written. ``own`` is the partition, region and
    account that count as the stack's own (literal ARNs in them are shortened too).
    """

    def value(match: re.Match[str]) -> str:
        try:
            return reference_value(match["address"], match["attribute"], stack, READABLE_TARGET)
        except UnresolvedReference:
            return _readable_unknown(match["address"], match["attribute"], stack)

    rendered = _unescaped(REFERENCE.sub(value, text))
    arn = _ARN.fullmatch(rendered)
    if arn is None:
        return rendered
    ours = {READABLE_TARGET.partition, own.partition, ""}, {READABLE_TARGET.region, own.region, ""}, {READABLE_TARGET.account, own.account, ""}
    if arn["partition"] in ours[0] and arn["region"] in ours[1] and arn["account"] in ours[2]:
        return arn["resource"]
    return rendered


def _readable_unknown(address: str, attribute: str, stack: Mapping[str, Any]) -> str:
    """A value known only from the service, shown by what it belongs to: a table's stream."""
    kind, _, name = address.partition(".")
    config = stack.get("resource", {}).get(kind, {}).get(name, {})
    if kind == "aws_dynamodb_table" and attribute == "stream_arn" and "name" in config:
        return READABLE_TARGET.arn("dynamodb", f"table/{config['name']}/stream/<label>")
    return f"${{{address}.{attribute}}}"
