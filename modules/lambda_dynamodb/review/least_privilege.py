"""The least-privilege checks: wildcard actions, calls the policy lacks, grants no code uses (pure).

- **Wildcard action** (error): an ``Allow`` in a planned policy document whose action has ``*`` or
  ``?`` (``dynamodb:*``, ``*``), or a ``NotAction``: it grants actions nobody listed, including
  the ones AWS adds later. Policies are read by :func:`lambda_dynamodb.iam.evaluation.grants`.
- **Missing permission** (error): a call the function's code makes (from the permissions
  manifest) that its role's planned policy does not allow (:func:`~lambda_dynamodb.iam.evaluation.allows`):
  it fails with AccessDenied once applied. Also every manifest row whose verdict is ``missing``.
- **Unused grant** (warning): manifest rows whose verdict is ``unused`` (granted, no code calls it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from lambda_dynamodb.iam.evaluation import Grant, allows, grants
from lambda_dynamodb.iam.policy import ArnContext, Effect
from lambda_dynamodb.iam.verdict import Verdict
from lambda_dynamodb.review.findings import Finding, Kind, Level, Section
from lambda_dynamodb.review.iam_diff import POLICY_TYPES
from lambda_dynamodb.review.plan_file import Json, sensitive, shown_value
from lambda_dynamodb.synthesis.manifest_model import ACCOUNT_PLACEHOLDER, CallEntry, FunctionEntry, Manifest

ROLE = "aws_iam_role"


@dataclass(frozen=True)
class PlannedDocument:
    """A policy document as the plan will leave it (known, not marked sensitive)."""

    address: str
    #: The policy's name (its address when it has none), or "role R, inline policy P".
    label: str
    document: Json


def planned_documents(plan: Json) -> list[PlannedDocument]:
    """Every planned policy document the plan knows: the policy resources', and roles' inline policies."""
    found: list[PlannedDocument] = []
    for entry in plan.get("resource_changes", []):
        change = entry["change"]
        if entry.get("mode") != "managed" or not change.get("after"):
            continue  # destroyed: nothing is granted after the apply
        if entry["type"] in POLICY_TYPES and not sensitive(change, "after", "policy"):
            label = shown_value(change, "after", "name") or entry["address"]
            found += _document(entry["address"], str(label), change["after"].get("policy"))
        elif entry["type"] == ROLE and not sensitive(change, "after", "inline_policy"):
            role = shown_value(change, "after", "name") or entry["address"]
            for block in change["after"].get("inline_policy") or []:
                found += _document(entry["address"], f"role {role}, inline policy {block.get('name') or '(unnamed)'}", block.get("policy"))
    return found


def _document(address: str, label: str, text: object) -> list[PlannedDocument]:
    # Unknown until apply (absent) or not JSON (a value Terraform will compute): nothing to judge.
    if not isinstance(text, str) or not text:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        return []
    return [PlannedDocument(address, label, document)] if isinstance(document, dict) else []


# --- wildcard actions ---------------------------------------------------------------------------


def wildcard_findings(plan: Json) -> list[Finding]:
    """One error per (policy, action) whose Allow names actions by wildcard or by NotAction."""
    found = []
    for planned in planned_documents(plan):
        wide: dict[str, list[Grant]] = {}
        for grant in grants(planned.document):
            if grant.effect is Effect.ALLOW and (grant.not_action or any(c in grant.action for c in "*?")):
                wide.setdefault(("NOT " if grant.not_action else "") + grant.action, []).append(grant)
        for action, found_grants in sorted(wide.items()):
            found.append(Finding(Level.ERROR, Kind.WILDCARD_ACTION, Section.LEAST_PRIVILEGE, planned.address, _wildcard_text(planned, action, found_grants)))
    return found


def _wildcard_text(planned: PlannedDocument, action: str, found: list[Grant]) -> str:
    resources = ", ".join(f"`{'NOT ' if g.not_resource else ''}{g.resource}`" for g in sorted(found, key=lambda g: g.resource))
    what = f"every action but `{action[4:]}` (NotAction)" if action.startswith("NOT ") else f"`{action}`"
    return (
        f"`{planned.address}` ({planned.label}) allows {what} on {resources}: a wildcard grants every action it matches, "
        "including ones AWS adds later; list the actions the code calls."
    )


# --- calls the policy lacks ---------------------------------------------------------------------


def missing_permission_findings(plan: Json, manifest: Manifest | None, context: ArnContext | None) -> list[Finding]:
    """Each (function, action, resource) a call needs and the role's planned policy does not allow."""
    documents = {d.address: d for d in planned_documents(plan)}
    found = []
    for function in manifest.functions if manifest else ():
        for (action, target), where in _lacking(function, documents.get(function.role.policy_address), context).items():
            text = (
                f"function `{function.name}` calls `{action}` on {target} ({', '.join(dict.fromkeys(where))}), "
                f"which its policy `{function.role.policy}` does not allow: the call fails with AccessDenied."
            )
            # At the policy's address, like the other least-privilege findings: the policy is what to fix.
            found.append(Finding(Level.ERROR, Kind.MISSING_PERMISSION, Section.LEAST_PRIVILEGE, function.role.policy_address, text))
    return found


def _lacking(function: FunctionEntry, policy: PlannedDocument | None, context: ArnContext | None) -> dict[tuple[str, str], list[str]]:
    """(action, how the resource is named) -> where the code needs it, for what the policy lacks."""
    lacking: dict[tuple[str, str], list[str]] = {}
    judged: set[tuple[str, str]] = set()  # (action, ARN) already found from the calls
    if policy is not None and context is not None:
        for call, action, resource, table in _needs(function, context):
            if not _allowed(policy.document, action, resource, call):
                lacking.setdefault((action, f"table `{table}` (`{resource}`)"), []).append(f"{call.file}:{call.line}")
                judged.add((action, resource))
    for row in function.missing:  # what synthesis already found missing (written when validation is skipped)
        resource = row.resource.replace(ACCOUNT_PLACEHOLDER, context.account) if context else row.resource
        if (row.action, resource) not in judged:
            lacking.setdefault((row.action, f"`{resource}`"), []).extend(row.why)
    return lacking


def _needs(function: FunctionEntry, context: ArnContext) -> Iterator[tuple[CallEntry, str, str, str]]:
    """(call, action, table ARN, table name) for each call whose table the manifest names."""
    for call in function.calls:
        table = _table_arn(function, call, context)
        if table is not None:
            for action in call.actions:
                yield call, action, table[0], table[1]


def _table_arn(function: FunctionEntry, call: CallEntry, context: ArnContext) -> tuple[str, str] | None:
    if call.table is None:
        return None  # the code does not say which table: nothing to check against
    if call.table.startswith("env:"):
        entry = next((t for t in function.tables if t.env == call.table[4:]), None)
        name = entry.name if entry else None
    else:
        entry = next((t for t in function.tables if t.name == call.table), None)
        name = call.table
    if name is None:
        return None
    arn = entry.arn if entry and entry.arn else f"arn:{context.partition}:dynamodb:{context.region}:{ACCOUNT_PLACEHOLDER}:table/{name}"
    if "${" in arn:
        return None  # a Terraform reference, only known at apply: it cannot be matched here
    return arn.replace(ACCOUNT_PLACEHOLDER, context.account), name


def _allowed(document: Json, action: str, table_arn: str, call: CallEntry) -> bool:
    if not call.index:
        return allows(document, action, table_arn)
    index_arn = f"{table_arn}/index/{call.index}"
    # "Some index, maybe" ("*": arguments the analysis cannot read) may also be the table itself.
    return allows(document, action, index_arn) or (call.index == "*" and allows(document, action, table_arn))


# --- grants no code uses ------------------------------------------------------------------------


def unused_grant_findings(manifest: Manifest | None) -> list[Finding]:
    """One warning per function whose manifest rows have verdict ``unused``, listing the actions."""
    found = []
    for function in manifest.functions if manifest else ():
        actions = list(dict.fromkeys(row.action for row in function.permissions if row.verdict is Verdict.UNUSED))
        if actions:
            where = f" in `{function.source}`" if function.source else ""
            text = (
                f"function `{function.name}`: its policy `{function.role.policy}` grants {', '.join(f'`{a}`' for a in actions)}, "
                f"which no code{where} calls: grant only what the code calls (access `from_code`, or list the actions)."
            )
            found.append(Finding(Level.WARNING, Kind.UNUSED_GRANT, Section.LEAST_PRIVILEGE, function.role.policy_address, text))
    return found
