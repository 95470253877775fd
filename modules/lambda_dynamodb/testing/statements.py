"""A role's policies as a synthesized stack holds them, turned into IAM JSON statements.

The module (and most CDKTF code) writes a policy as an ``aws_iam_policy_document`` data source
and gives the policy resource its ``json``; IAM JSON written as a literal string is read too.
Which policies a role has: ``aws_iam_role_policy_attachment`` and ``aws_iam_policy_attachment``
of a policy of the stack, ``aws_iam_role_policy`` and the role's ``inline_policy`` blocks, each
naming the role by reference or by its name (an existing role). A managed policy from outside
the stack (``arn:aws:iam::aws:policy/...``) is listed by ARN but its statements are unknown
here: what only it would allow counts as not allowed.

The statements keep the stack's references (``${aws_sqs_queue.intake.arn}``);
:meth:`PolicySource.document` resolves them for one target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambda_dynamodb.testing.references import Target, resolve_known

_DOCUMENT_REFERENCE = re.compile(r"\$\{data\.aws_iam_policy_document\.(?P<name>[A-Za-z0-9_-]+)\.(?:json|minified_json)\}")
_POLICY_ARN_REFERENCE = re.compile(r"\$\{aws_iam_policy\.(?P<name>[A-Za-z0-9_-]+)\.(?:arn|id)\}")


class PolicyUnreadable(ValueError):
    """A policy whose document is a Terraform expression this reader cannot evaluate."""


@dataclass(frozen=True)
class PolicySource:
    """One policy of a role: its name, the Terraform address that holds it, its statements."""

    name: str
    address: str
    statements: tuple[Mapping[str, Any], ...]
    #: Why the statements could not be read (the policy is an expression only Terraform evaluates).
    problem: str | None = None

    def readable_statements(self) -> tuple[Mapping[str, Any], ...]:
        """The statements; PolicyUnreadable when they could not be read."""
        if self.problem is not None:
            raise PolicyUnreadable(self.problem)
        return self.statements

    def document(self, stack: Mapping[str, Any], target: Target) -> dict[str, Any]:
        """The policy as IAM JSON, every reference resolved at ``target``."""
        return {"Version": "2012-10-17", "Statement": [_resolved(s, stack, target) for s in self.readable_statements()]}


def role_policies(stack: Mapping[str, Any], role_name: str) -> tuple[PolicySource, ...]:
    """Every policy of the stack that applies to the role named ``role_name``."""
    resources = stack.get("resource", {})
    roles = {key for key, role in resources.get("aws_iam_role", {}).items() if role.get("name") == role_name}
    names_role = _role_matcher(roles, role_name)
    found: list[PolicySource] = []
    for key in roles:
        for block in resources["aws_iam_role"][key].get("inline_policy", []):
            if "policy" in block:
                found.append(_source(stack, str(block.get("name", key)), f"aws_iam_role.{key}", str(block["policy"])))
    for key, inline in resources.get("aws_iam_role_policy", {}).items():
        if names_role(inline.get("role")):
            found.append(_source(stack, str(inline.get("name", key)), f"aws_iam_role_policy.{key}", str(inline["policy"])))
    attached = [a["policy_arn"] for a in resources.get("aws_iam_role_policy_attachment", {}).values() if names_role(a.get("role"))]
    attached += [a["policy_arn"] for a in resources.get("aws_iam_policy_attachment", {}).values() if any(map(names_role, a.get("roles", [])))]
    for key in roles:
        attached += list(resources["aws_iam_role"][key].get("managed_policy_arns", []))
    for policy_arn in dict.fromkeys(str(a) for a in attached):
        reference = _POLICY_ARN_REFERENCE.fullmatch(policy_arn)
        if reference is None:
            continue  # a managed policy outside the stack: see external_policies
        policy = resources["aws_iam_policy"][reference["name"]]
        found.append(_source(stack, str(policy.get("name", reference["name"])), f"aws_iam_policy.{reference['name']}", str(policy["policy"])))
    return tuple(found)


def external_policies(stack: Mapping[str, Any], role_name: str) -> tuple[str, ...]:
    """The ARNs of managed policies attached to the role that the stack does not define."""
    resources = stack.get("resource", {})
    roles = {key for key, role in resources.get("aws_iam_role", {}).items() if role.get("name") == role_name}
    names_role = _role_matcher(roles, role_name)
    arns = [str(a["policy_arn"]) for a in resources.get("aws_iam_role_policy_attachment", {}).values() if names_role(a.get("role"))]
    return tuple(a for a in dict.fromkeys(arns) if _POLICY_ARN_REFERENCE.fullmatch(a) is None)


def find_statements(statements: Sequence[Mapping[str, Any]], matching: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statements holding everything ``matching`` names: list values as subsets, others equal."""
    return [dict(s) for s in statements if statement_matches(s, matching)]


def statement_matches(statement: Mapping[str, Any], matching: Mapping[str, Any]) -> bool:
    for key, wanted in matching.items():
        if key not in statement:
            return False
        held = statement[key]
        if isinstance(wanted, (list, tuple, set, frozenset)):
            values = [held] if isinstance(held, str) else list(held)
            if not all(w in values for w in wanted):
                return False
        elif held != wanted and not (isinstance(held, list) and held == [wanted]):
            return False
    return True


def _role_matcher(role_keys: set[str], role_name: str) -> Any:
    references = {f"${{aws_iam_role.{key}.{attribute}}}" for key in role_keys for attribute in ("name", "id")}

    def names_role(value: Any) -> bool:
        return isinstance(value, str) and (value in references or value == role_name)

    return names_role


def _source(stack: Mapping[str, Any], name: str, address: str, policy: str) -> PolicySource:
    try:
        return PolicySource(name, address, tuple(_policy_statements(stack, policy, address)))
    except PolicyUnreadable as error:
        # Kept, not raised: the stack's other functions stay testable; this one's policy fails when used.
        return PolicySource(name, address, (), str(error))


def _policy_statements(stack: Mapping[str, Any], policy: str, where: str) -> list[Mapping[str, Any]]:
    reference = _DOCUMENT_REFERENCE.fullmatch(policy.strip())
    if reference is not None:
        return _document_statements(stack, reference["name"], where)
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        raise PolicyUnreadable(
            f"{where}'s policy {policy[:120]!r} is neither IAM JSON nor an aws_iam_policy_document's json: "
            "this expression is evaluated only by Terraform (write the policy as a DataAwsIamPolicyDocument)"
        ) from None
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def _document_statements(stack: Mapping[str, Any], name: str, where: str) -> list[Mapping[str, Any]]:
    data = stack.get("data", {}).get("aws_iam_policy_document", {}).get(name)
    if data is None:
        raise PolicyUnreadable(f"{where} names data.aws_iam_policy_document.{name}, which the stack does not hold")
    merged: list[Mapping[str, Any]] = []
    for source in data.get("source_policy_documents", []):
        merged += _policy_statements(stack, str(source), f"data.aws_iam_policy_document.{name}")
    merged += [_statement(block) for block in data.get("statement", [])]
    for override in data.get("override_policy_documents", []):
        for statement in _policy_statements(stack, str(override), f"data.aws_iam_policy_document.{name}"):
            # Terraform's rule: an override statement replaces the statement of the same Sid.
            merged = [s for s in merged if "Sid" not in statement or s.get("Sid") != statement["Sid"]] + [statement]
    return merged


def _statement(block: Mapping[str, Any]) -> dict[str, Any]:
    """An ``aws_iam_policy_document`` statement block as IAM JSON."""
    statement: dict[str, Any] = {"Effect": block.get("effect", "Allow")}
    if "sid" in block:
        statement["Sid"] = block["sid"]
    for key, field in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"), ("not_resources", "NotResource")):
        if key in block:
            statement[field] = list(block[key])
    conditions: dict[str, dict[str, list[str]]] = {}
    for condition in block.get("condition", []):
        conditions.setdefault(condition["test"], {})[condition["variable"]] = list(condition["values"])
    if conditions:
        statement["Condition"] = conditions
    return statement


def _resolved(value: Any, stack: Mapping[str, Any], target: Target) -> Any:
    if isinstance(value, str):
        return resolve_known(value, stack, target)
    if isinstance(value, Mapping):
        return {k: _resolved(v, stack, target) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolved(v, stack, target) for v in value]
    return value

