"""Which synthesized stack a plan is of, and the why column its permissions manifest gives.

A plan does not name its stack. With ``--stack`` the review takes that stack's manifest;
otherwise it takes the one manifest whose roles and policies the plan holds: at the Terraform
address the manifest gives, with the name it gives (the strongest match), else at that address
or with that name. Nothing here knows a stack's name: it comes from the manifest or the caller.

When no manifest applies (no ``cdktf.out``, no manifest in it, none matching, two matching
equally), the review is still written, and :attr:`WhyColumn.unavailable` says why.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lambda_dynamodb.iam.policy import ArnContext
from lambda_dynamodb.review.plan_file import Json, arn_context, planned_names
from lambda_dynamodb.review.why import WhyColumn, WhyRow
from lambda_dynamodb.synthesis.manifest import Manifest, ManifestError, load, load_all
from lambda_dynamodb.synthesis.manifest_model import ACCOUNT_PLACEHOLDER


@dataclass(frozen=True)
class PlannedStack:
    """The stack a plan is of (None: not known), the why column for its review, and its manifest."""

    name: str | None
    why: WhyColumn
    #: The manifest the why column comes from (None: none applies, ``why.unavailable`` says why).
    manifest: Manifest | None = None

    def title(self, fallback: str) -> str:
        return self.name or fallback


def planned_stack(plan: Json, outdir: Path, stack: str | None = None) -> PlannedStack:
    """The planned stack (``stack``, else the manifest matching the plan) and its why column."""
    try:
        manifests = load_all(outdir, stack)
    except ManifestError as error:
        return PlannedStack(stack, WhyColumn.missing(f"no permissions manifest applies: {_sentence(error)}"))
    if stack is None:
        chosen = _matching(plan, manifests, outdir)
        if isinstance(chosen, str):
            return PlannedStack(None, WhyColumn.missing(chosen))
    else:
        (chosen,) = [m for m in manifests if m.stack == stack] or manifests[:1]
    return of_manifest(plan, chosen)


def stack_manifest(plan: Json, stack_dir: Path, stack: str | None = None) -> PlannedStack:
    """The manifest of ONE stack folder (what a CDKTF stack's configuration version holds).

    Its functions are the plan's, so no matching is done. A folder without a manifest, or one
    this reader cannot read (a version it does not know, say), gives no why column, never an error.
    """
    try:
        manifest = load(stack_dir)
    except ManifestError as error:
        return PlannedStack(stack, WhyColumn.missing(f"no permissions manifest applies: {_sentence(error)}"))
    return of_manifest(plan, manifest, stack)


def of_manifest(plan: Json, manifest: Manifest, stack: str | None = None) -> PlannedStack:
    return PlannedStack(stack or manifest.stack, WhyColumn.of(why_rows(manifest, arn_context(plan))), manifest)


def _matching(plan: Json, manifests: Sequence[Manifest], outdir: Path) -> Manifest | str:
    """The one manifest that best matches the plan's roles and policies, or why there is none."""
    names = planned_names(plan)
    scores = {index: _score(manifest, names) for index, manifest in enumerate(manifests)}
    best = max(scores.values(), default=(0, 0))
    stacks = ", ".join(sorted(m.stack for m in manifests))
    if best == (0, 0):
        return (
            f"none of the permissions manifests in {outdir} (stacks {stacks}) names a role or policy of this plan: "
            "pass --stack NAME if the plan is of one of them, or synthesize the planned app"
        )
    tied = [manifests[index] for index, score in scores.items() if score == best]
    if len(tied) > 1:
        return (
            f"the plan's roles and policies match the manifests of stacks {', '.join(sorted(m.stack for m in tied))} "
            f"equally: pass --stack NAME"
        )
    return tied[0]


def _score(manifest: Manifest, names: dict[str, str]) -> tuple[int, int]:
    """(resources found at the manifest's address with its name, resources found by one of the two)."""
    exact = partial = 0
    for address, name in _identities(manifest):
        if address in names and names[address] == name:
            exact += 1
        elif address in names or (name and name in names.values()):
            partial += 1
    return exact, partial


def _identities(manifest: Manifest) -> Iterator[tuple[str | None, str | None]]:
    for function in manifest.functions:
        role = function.role
        yield role.address, role.name
        yield role.policy_address, role.policy


def why_rows(manifest: Manifest, context: ArnContext | None) -> Iterator[WhyRow]:
    """Every permission row of the manifest's roles, its ARNs in the plan's account."""
    for function in manifest.functions:
        role = function.role
        for row in function.permissions:
            resource = _in_account(row.resource, context)
            yield WhyRow(role.policy_address, role.policy, row.action, resource, _why_text(row.why), row.verdict.value)


def _in_account(resource: str, context: ArnContext | None) -> str:
    return resource.replace(ACCOUNT_PLACEHOLDER, context.account) if context else resource


def _why_text(why: Sequence[str]) -> str:
    # A row's reasons are one per line in `lambda-dynamodb permissions`; one table cell here.
    return "; ".join(why)


def _sentence(error: Exception) -> str:
    return str(error).rstrip(".")
