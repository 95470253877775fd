"""A reviewer's summary of a Terraform plan (`terraform show -json`): pure, no Terraform needed.

Replacements first (a replaced table is an empty table), and what AWS would refuse or leave
half done (see :mod:`lambda_dynamodb.review.aws_checks`), then the counts, every resource
change, and the IAM permissions added or removed as action x resource
(:mod:`lambda_dynamodb.review.iam_diff`) with why the role has each
(:mod:`lambda_dynamodb.review.why`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lambda_dynamodb.review.aws_checks import aws_findings
from lambda_dynamodb.review.iam_diff import PermissionDiff, UnknownPolicy, action_text, permission_diffs, resource_text
from lambda_dynamodb.review.plan_file import Json
from lambda_dynamodb.review.why import WhyColumn


# --- resource changes (pure) -----------------------------------------------------------------


class Action(Enum):
    """What Terraform will do to one resource (its `change.actions`, folded into one word)."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    READ = "read"
    FORGET = "forget"
    NO_OP = "no-op"

    @classmethod
    def of(cls, actions: Sequence[str]) -> Action:
        # Terraform spells a replacement as two actions, in either order (create_before_destroy).
        if set(actions) == {"create", "delete"}:
            return cls.REPLACE
        (action,) = actions
        return cls(action)


#: Attribute that holds the name a person would recognise, per resource type.
NAME_ATTRIBUTES: dict[str, str] = {
    "aws_lambda_function": "function_name",
    "aws_iam_role_policy_attachment": "role",
}

#: What a reviewer loses when a resource of this type is destroyed (alone or in a replacement).
DATA_LOSS: dict[str, str] = {
    "aws_dynamodb_table": "a replaced table is a new, empty table: every item in it is lost",
    "aws_cloudwatch_log_group": "the log group's events are lost",
}

#: Why Terraform replaces, when it is not an attribute that forces it (`action_reason`).
REPLACE_REASONS: dict[str, str] = {
    "replace_because_tainted": "the resource is tainted",
    "replace_by_request": "`-replace` was requested",
    "replace_because_cannot_update": "the provider cannot update it in place",
}


@dataclass(frozen=True)
class ResourceChange:
    address: str
    type: str
    action: Action
    name_before: str | None
    name_after: str | None
    #: Attributes whose change forces the replacement, e.g. ("name",).
    replace_paths: tuple[str, ...]
    #: Top-level attributes whose known values differ (updates and replacements).
    changed_attributes: tuple[str, ...]
    action_reason: str | None
    previous_address: str | None

    @property
    def name(self) -> str:
        if self.name_before and self.name_after and self.name_before != self.name_after:
            return f"{self.name_before} → {self.name_after}"
        return self.name_after or self.name_before or ""


def resource_changes(plan: Json) -> tuple[ResourceChange, ...]:
    """Every managed resource Terraform will act on (no-ops left out), sorted by address."""
    changes = [
        _resource_change(entry)
        for entry in plan.get("resource_changes", [])
        if entry.get("mode") == "managed" and Action.of(entry["change"]["actions"]) is not Action.NO_OP
    ]
    return tuple(sorted(changes, key=lambda change: change.address))


def _resource_change(entry: Json) -> ResourceChange:
    change = entry["change"]
    before, after = change.get("before") or {}, change.get("after") or {}
    name_attribute = NAME_ATTRIBUTES.get(entry["type"], "name")
    return ResourceChange(
        address=entry["address"],
        type=entry["type"],
        action=Action.of(change["actions"]),
        name_before=text_or_none(before.get(name_attribute)),
        name_after=text_or_none(after.get(name_attribute)),
        replace_paths=tuple(_path_text(path) for path in change.get("replace_paths") or []),
        changed_attributes=_changed_attributes(change) if before and after else (),
        action_reason=entry.get("action_reason"),
        previous_address=entry.get("previous_address"),
    )


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _path_text(path: Sequence[str | int]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def _changed_attributes(change: Json) -> tuple[str, ...]:
    # Attributes only known after apply (ids, timestamps) are not a reviewer's concern: the
    # ones that matter are those whose planned value differs from the current one.
    before, after, unknown = change["before"], change["after"], change.get("after_unknown") or {}
    return tuple(
        sorted(key for key in after if unknown.get(key) is not True and before.get(key) != after[key])
    )


@dataclass(frozen=True)
class Counts:
    add: int
    change: int
    destroy: int
    replace: int

    @property
    def total(self) -> int:
        return self.add + self.change + self.destroy

    def sentence(self) -> str:
        return f"{self.add} to add, {self.change} to change, {self.destroy} to destroy ({self.replace} replaced)"


def counts(changes: Iterable[ResourceChange]) -> Counts:
    """Counted as Terraform counts them: a replacement is one add and one destroy."""
    actions = [change.action for change in changes]
    replace = actions.count(Action.REPLACE)
    return Counts(
        add=actions.count(Action.CREATE) + replace,
        change=actions.count(Action.UPDATE),
        destroy=actions.count(Action.DELETE) + replace,
        replace=replace,
    )


# --- the review (pure) -----------------------------------------------------------------------


def summary_markdown(plan: Json, stack: str, why: WhyColumn | None = None) -> str:
    """plan.md: replacements first, then counts, every resource change, and the IAM diff.

    ``stack`` is the title (the planned stack's name); ``why`` fills the IAM table's why column.
    """
    changes = resource_changes(plan)
    total = counts(changes)
    lines = [f"# Plan review: {stack}", ""]
    warnings = _warnings(changes) + [f"**ON AWS: {finding}**" for finding in aws_findings(plan)]
    if warnings:
        lines += [*warnings, ""]
    lines += [_counts_line(total), "", "## Resource changes", ""]
    lines += _resource_table(changes) if changes else ["No resource changes."]
    lines += ["", "## IAM permissions", ""]
    lines += _permissions_section(*permission_diffs(plan), why or WhyColumn())
    return "\n".join(lines) + "\n"


def _warnings(changes: Sequence[ResourceChange]) -> list[str]:
    """One bold line per replacement (and per destroyed data-holding resource)."""
    lines = []
    for change in changes:
        loss = DATA_LOSS.get(change.type)
        if change.action is Action.REPLACE:
            consequence = f"; {loss}." if loss else "."
            what = f"`{change.address}` ({change.name})"
            lines.append(f"**REPLACEMENT: {what} will be destroyed and re-created, {_replace_cause(change)}{consequence}**")
        elif change.action is Action.DELETE and loss:
            lines.append(f"**DESTROY: `{change.address}` ({change.name}) will be destroyed; {loss}.**")
    return lines


def _replace_cause(change: ResourceChange) -> str:
    if change.replace_paths:
        return "forced by " + ", ".join(f"`{path}`" for path in change.replace_paths)
    return "because " + REPLACE_REASONS.get(change.action_reason or "", "Terraform must replace it")


def _counts_line(total: Counts) -> str:
    if total.total == 0:
        return f"**No changes.** The infrastructure matches the configuration: {total.sentence()}."
    return f"**{total.sentence()}.**"


def _resource_table(changes: Sequence[ResourceChange]) -> list[str]:
    rows = ["| address | type | name | action | details |", "|---|---|---|---|---|"]
    for change in changes:
        action = f"**{change.action.value}**" if change.action in (Action.REPLACE, Action.DELETE) else change.action.value
        rows.append(f"| `{change.address}` | {change.type} | {_cell(change.name)} | {action} | {_details(change)} |")
    return rows


def _details(change: ResourceChange) -> str:
    parts = []
    if change.action is Action.REPLACE:
        parts.append(_replace_cause(change))
    if change.action is Action.UPDATE and change.changed_attributes:
        parts.append("changes " + ", ".join(f"`{name}`" for name in change.changed_attributes))
    if change.previous_address:
        parts.append(f"moved from `{change.previous_address}`")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _permissions_section(diffs: Sequence[PermissionDiff], unknown: Sequence[UnknownPolicy], why: WhyColumn) -> list[str]:
    lines = []
    if diffs and why.unavailable:
        lines += [f"The why column is unavailable: {why.unavailable}.", ""]
    if diffs:
        lines += ["| change | action | resource | policy | why |", "|---|---|---|---|---|"]
        lines += [
            f"| {d.change.value} | `{action_text(d.grant)}` | `{resource_text(d.grant)}` | {_cell(d.policy)} | {_cell(why.why(d))} |"
            for d in diffs
        ]
    elif not unknown:
        lines.append("No IAM permission changes.")
    lines += [f"- `{u.address}` ({u.policy}): its document is only known after apply; review it then." for u in unknown]
    return lines
