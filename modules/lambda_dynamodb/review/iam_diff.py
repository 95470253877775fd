"""The IAM permissions a plan adds or removes, as action x resource (pure).

Each policy resource's document before and after is expanded into its (action, resource)
pairs by :func:`lambda_dynamodb.iam.evaluation.grants`, the project's one reading of IAM
statements; the diff is the pairs only one side has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

from lambda_dynamodb.iam.evaluation import Grant, grants
from lambda_dynamodb.iam.policy import Effect
from lambda_dynamodb.review.plan_file import Json, sensitive, shown_value

#: Resource types whose `policy` attribute is an IAM permissions document.
POLICY_TYPES = frozenset({"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"})


class PermissionChange(Enum):
    ADDED = "added"
    REMOVED = "removed"


def action_text(grant: Grant) -> str:
    """The action as the review shows it: ``NOT x`` for a ``NotAction``, ``(Deny)`` for a denial."""
    text = _action_name(grant)
    return text if grant.effect is Effect.ALLOW else f"{text} (Deny)"


def _action_name(grant: Grant) -> str:
    return f"NOT {grant.action}" if grant.not_action else grant.action


def resource_text(grant: Grant) -> str:
    return f"NOT {grant.resource}" if grant.not_resource else grant.resource


@dataclass(frozen=True)
class PermissionDiff:
    change: PermissionChange
    grant: Grant
    #: The policy's name (its address when it has none) and its Terraform address.
    policy: str
    address: str


def policy_grants(document: str | None) -> frozenset[Grant]:
    """The grants of an IAM policy JSON document, as a plan holds it (None or "": no policy)."""
    if not document:
        return frozenset()
    return grants(json.loads(document))


@dataclass(frozen=True)
class UnknownPolicy:
    """A policy whose planned document Terraform only knows after apply, or marks sensitive."""

    address: str
    policy: str
    #: The plan marks the document sensitive: its grants are never shown.
    sensitive: bool = False

    @property
    def reason(self) -> str:
        """Why its grants are not in the review, for plan.md and the run task alike."""
        if self.sensitive:
            return "the plan marks its document sensitive, so its permissions are not shown."
        return "its document is only known after apply; review it then."


def permission_diffs(plan: Json) -> tuple[tuple[PermissionDiff, ...], tuple[UnknownPolicy, ...]]:
    """Every grant added or removed by the plan's policies; and the policies not known until apply."""
    diffs: list[PermissionDiff] = []
    unknown: list[UnknownPolicy] = []
    for entry in plan.get("resource_changes", []):
        if entry.get("mode") != "managed" or entry["type"] not in POLICY_TYPES:
            continue
        change, address = entry["change"], entry["address"]
        before, after = change.get("before") or {}, change.get("after") or {}
        name = str(shown_value(change, "after", "name") or shown_value(change, "before", "name") or address)
        if (change.get("after_unknown") or {}).get("policy") is True:
            unknown.append(UnknownPolicy(address, name))
            continue
        if sensitive(change, "before", "policy") or sensitive(change, "after", "policy"):
            unknown.append(UnknownPolicy(address, name, sensitive=True))
            continue
        old, new = policy_grants(before.get("policy")), policy_grants(after.get("policy"))
        diffs += [PermissionDiff(PermissionChange.ADDED, grant, name, address) for grant in new - old]
        diffs += [PermissionDiff(PermissionChange.REMOVED, grant, name, address) for grant in old - new]
    order = list(PermissionChange)
    diffs.sort(key=lambda d: (order.index(d.change), resource_text(d.grant), _action_name(d.grant), d.grant.effect.value, d.policy, d.address))
    return tuple(diffs), tuple(sorted(unknown, key=lambda u: u.address))
