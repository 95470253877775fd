"""The plan review as one value, shared by plan.md and the run task: :func:`plan_review` (pure but for reading a manifest).

A :class:`PlanReview` holds what a reviewer reads: the counts, every resource change, the drift,
the findings (:mod:`lambda_dynamodb.review.findings`, errors first), and the IAM changes of each
role as action x resource with why (from the permissions manifest) and the manifest's verdict.
:mod:`lambda_dynamodb.review.summary` renders it as plan.md; ``lambda_dynamodb.run_task`` as the
outcomes it posts to HCP Terraform. Importing this loads no cdktf, jsii or boto3: the run task's
Lambda package carries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lambda_dynamodb.review.changes import Action, Counts, ResourceChange, counts, drift, resource_changes
from lambda_dynamodb.review.findings import (
    Finding,
    Kind,
    Level,
    Section,
    change_findings,
    deletion_protection_findings,
    ordered,
    plan_check_findings,
    public_url_findings,
)
from lambda_dynamodb.review.iam_diff import PermissionChange, PermissionDiff, UnknownPolicy, action_text, permission_diffs, resource_text
from lambda_dynamodb.review.least_privilege import missing_permission_findings, unused_grant_findings, wildcard_findings
from lambda_dynamodb.review.manifests import PlannedStack, planned_stack, stack_manifest
from lambda_dynamodb.review.plan_file import Json, arn_context
from lambda_dynamodb.review.why import WhyColumn
from lambda_dynamodb.synthesis.manifest_model import Manifest

__all__ = [
    "Action",
    "Counts",
    "Finding",
    "IamRow",
    "Kind",
    "Level",
    "PermissionChange",
    "PlanReview",
    "ResourceChange",
    "RoleChanges",
    "Section",
    "UnknownPolicy",
    "assemble",
    "plan_review",
]

#: The why column's note when the caller gives neither a cdktf.out nor a stack folder.
NO_MANIFEST_GIVEN = "no permissions manifest was given (neither a synthesized output folder nor a stack folder)"


@dataclass(frozen=True)
class IamRow:
    """One permission a plan adds or removes on a role's policy."""

    change: PermissionChange
    #: As the review shows them: ``NOT x`` for NotAction/NotResource, ``x (Deny)`` for a denial.
    action: str
    resource: str
    #: Why the role has it (the manifest's reasons); "no longer granted" when removed; "" unknown.
    why: str
    #: The manifest's verdict (used, unused, missing, not checked), "removed", or "" when unknown.
    verdict: str


@dataclass(frozen=True)
class RoleChanges:
    """The IAM changes of one policy resource, and the manifest function whose role it is."""

    policy: str
    address: str
    function: str | None
    rows: tuple[IamRow, ...]


@dataclass(frozen=True)
class PlanReview:
    title: str
    #: The planned stack's name (from the manifest or the caller); None when not known.
    stack: str | None
    counts: Counts
    changes: tuple[ResourceChange, ...]
    #: Addresses in the plan's ``resource_drift`` (changed outside Terraform).
    drift: tuple[str, ...]
    #: Section order (CHANGES, LEAST_PRIVILEGE, PLAN_CHECKS), then ERROR, WARNING, INFO, then address.
    findings: tuple[Finding, ...]
    #: One per policy resource with added or removed grants, sorted by policy.
    roles: tuple[RoleChanges, ...]
    unknown: tuple[UnknownPolicy, ...]
    #: Why there is no why column (no manifest applies), in words; None when there is one.
    why_unavailable: str | None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level is Level.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level is Level.WARNING)

    @property
    def passed(self) -> bool:
        return not self.errors


def plan_review(
    plan: Json, *, outdir: Path | None = None, stack_dir: Path | None = None, stack: str | None = None, untitled: str = "plan"
) -> PlanReview:
    """The review of ``plan``, the why column from a manifest found in ``outdir`` or ``stack_dir``.

    ``outdir``: a synthesized ``cdktf.out`` (the stack named ``stack``, else the one whose manifest
    matches the plan); ``stack_dir``: ONE stack folder holding its permissions manifest (what a
    configuration version of a CDKTF stack is); neither: no manifest. A manifest that is missing
    or unreadable is never an error: :attr:`PlanReview.why_unavailable` says why.
    ``untitled`` is the title when no stack is known (the plan file's name, say).
    """
    if outdir is not None and stack_dir is not None:
        raise ValueError(f"plan_review: outdir={outdir} and stack_dir={stack_dir}: give at most one of the two")
    if stack_dir is not None:
        planned = stack_manifest(plan, stack_dir, stack)
    elif outdir is not None:
        planned = planned_stack(plan, outdir, stack)
    else:
        planned = PlannedStack(stack, WhyColumn.missing(NO_MANIFEST_GIVEN))
    return assemble(plan, planned, untitled)


def assemble(plan: Json, planned: PlannedStack, untitled: str = "plan") -> PlanReview:
    """The review of ``plan`` for a stack already found (its why column and manifest in ``planned``)."""
    changes = resource_changes(plan)
    diffs, unknown = permission_diffs(plan)
    return PlanReview(
        title=planned.title(untitled),
        stack=planned.name,
        counts=counts(changes),
        changes=changes,
        drift=drift(plan),
        findings=_findings(plan, changes, planned.manifest),
        roles=_roles(diffs, planned.why, planned.manifest),
        unknown=unknown,
        why_unavailable=planned.why.unavailable,
    )


def _findings(plan: Json, changes: Sequence[ResourceChange], manifest: Manifest | None) -> tuple[Finding, ...]:
    return ordered([
        *change_findings(changes),
        *deletion_protection_findings(plan),
        *public_url_findings(plan),
        *wildcard_findings(plan),
        *missing_permission_findings(plan, manifest, arn_context(plan)),
        *unused_grant_findings(manifest),
        *plan_check_findings(plan),
    ])


def _roles(diffs: Sequence[PermissionDiff], why: WhyColumn, manifest: Manifest | None) -> tuple[RoleChanges, ...]:
    grouped: dict[tuple[str, str], list[IamRow]] = {}
    for diff in diffs:
        row = IamRow(diff.change, action_text(diff.grant), resource_text(diff.grant), why.why(diff), why.verdict(diff))
        grouped.setdefault((diff.policy, diff.address), []).append(row)
    return tuple(
        RoleChanges(policy, address, _function(manifest, policy, address), tuple(rows))
        for (policy, address), rows in sorted(grouped.items())
    )


def _function(manifest: Manifest | None, policy: str, address: str) -> str | None:
    """The manifest function whose role's policy this is: by address, else by name."""
    functions = manifest.functions if manifest else ()
    by_address = [f.name for f in functions if f.role.policy_address == address]
    return (by_address or [f.name for f in functions if f.role.policy == policy] or [None])[0]
