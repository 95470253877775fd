"""plan.md: a :class:`~lambda_dynamodb.review.model.PlanReview` as a reviewer reads it (pure).

Replacements and deletions first (a replaced table is an empty table), and what AWS would refuse
or leave half done, each a bold line; then the counts, the drift, the other findings (least
privilege, deletion protection), every resource change, and the IAM permissions added or removed
as action x resource with why the role has each (:mod:`lambda_dynamodb.review.why`).
"""

from __future__ import annotations

from collections.abc import Sequence

from lambda_dynamodb.review.changes import Action, Counts, ResourceChange
from lambda_dynamodb.review.findings import Finding, Kind
from lambda_dynamodb.review.iam_diff import PermissionChange, UnknownPolicy
from lambda_dynamodb.review.model import IamRow, PlanReview

#: Findings shown as bold lines at the top, with the words plan.md has always used for them.
TOP_PREFIXES: dict[Kind, str] = {Kind.AWS_REFUSES: "ON AWS", Kind.UPDATE_ORDER: "ON AWS"}
CHANGE_KINDS = frozenset({Kind.TABLE_LOST, Kind.REPLACEMENT, Kind.DESTROY})


def summary_markdown(review: PlanReview) -> str:
    """plan.md: the top findings, counts, drift, findings, every resource change, and the IAM diff."""
    top, rest = _split(review)
    lines = [f"# Plan review: {review.title}", ""]
    if top:
        lines += [*top, ""]
    lines += [_counts_line(review.counts), ""]
    if review.drift:
        lines += [_drift_line(review.drift), ""]
    if rest:
        lines += ["## Findings", "", _tally(review, bool(top)), "", *(_finding_line(f) for f in rest), ""]
    lines += ["## Resource changes", ""]
    lines += _resource_table(review.changes) if review.changes else ["No resource changes."]
    lines += ["", "## IAM permissions", ""]
    lines += _permissions_section(review)
    return "\n".join(lines) + "\n"


def _split(review: PlanReview) -> tuple[list[str], list[Finding]]:
    """The bold top lines (replacements, deletions, what AWS refuses), and the other findings."""
    actions = {change.address: change.action for change in review.changes}
    top, rest = [], []
    for finding in review.findings:
        if finding.kind in CHANGE_KINDS:
            prefix = "REPLACEMENT" if actions.get(finding.address) is Action.REPLACE else "DESTROY"
            top.append(f"**{prefix}: {finding.text}**")
        elif finding.kind in TOP_PREFIXES:
            top.append(f"**{TOP_PREFIXES[finding.kind]}: {finding.text}**")
        else:
            rest.append(finding)
    return top, rest


def _counts_line(total: Counts) -> str:
    if total.total == 0:
        return f"**No changes.** The infrastructure matches the configuration: {total.sentence()}."
    return f"**{total.sentence()}.**"


def _drift_line(drift: Sequence[str]) -> str:
    return "**Changed outside Terraform (drift):** " + ", ".join(f"`{address}`" for address in drift) + "."


def _tally(review: PlanReview, top: bool) -> str:
    errors, warnings = len(review.errors), len(review.warnings)
    above = " (the bold lines above included)" if top else ""
    return f"{_plural(errors, 'error')} and {_plural(warnings, 'warning')} in all{above}: an error fails the run task (`lambda-dynamodb run-task`)."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _finding_line(finding: Finding) -> str:
    return f"- **{finding.level.value.upper()}** ({finding.section.value}, {finding.kind.value}): {finding.text}"


def _resource_table(changes: Sequence[ResourceChange]) -> list[str]:
    rows = ["| address | type | name | action | details |", "|---|---|---|---|---|"]
    for change in changes:
        action = f"**{change.action.value}**" if change.action in (Action.REPLACE, Action.DELETE) else change.action.value
        rows.append(f"| `{change.address}` | {change.type} | {_cell(change.name)} | {action} | {_details(change)} |")
    return rows


def _details(change: ResourceChange) -> str:
    parts = []
    if change.action is Action.REPLACE:
        parts.append(change.replace_cause)
    if change.action is Action.UPDATE and change.changed_attributes:
        parts.append("changes " + ", ".join(f"`{name}`" for name in change.changed_attributes))
    if change.previous_address:
        parts.append(f"moved from `{change.previous_address}`")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _permissions_section(review: PlanReview) -> list[str]:
    rows = _rows(review)
    lines = []
    if rows and review.why_unavailable:
        lines += [f"The why column is unavailable: {review.why_unavailable}.", ""]
    if rows:
        lines += ["| change | action | resource | policy | why |", "|---|---|---|---|---|"]
        lines += [f"| {row.change.value} | `{row.action}` | `{row.resource}` | {_cell(policy)} | {_cell(row.why)} |" for policy, _, row in rows]
    elif not review.unknown:
        lines.append("No IAM permission changes.")
    lines += [_unknown_line(u) for u in review.unknown]
    return lines


def _rows(review: PlanReview) -> list[tuple[str, str, IamRow]]:
    """Every role's rows in one table: added first, then by resource, action and policy."""
    order = list(PermissionChange)
    rows = [(role.policy, role.address, row) for role in review.roles for row in role.rows]
    return sorted(rows, key=lambda r: (order.index(r[2].change), r[2].resource, r[2].action, r[0], r[1]))


def _unknown_line(policy: UnknownPolicy) -> str:
    return f"- `{policy.address}` ({policy.policy}): {policy.reason}"
