"""What a plan does to each resource, and the counts: pure, from `terraform show -json`.

Every managed resource Terraform acts on (no-ops left out) as a :class:`ResourceChange`, with
the name a reviewer recognises; a name the plan marks sensitive is shown as ``(sensitive)``
(:data:`~lambda_dynamodb.review.plan_file.SENSITIVE`), never its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lambda_dynamodb.review.plan_file import Json, shown_value


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
    #: The recognisable name before and after (``(sensitive)`` when the plan marks it so).
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

    @property
    def replace_cause(self) -> str:
        """Why Terraform replaces it, in words ("forced by `name`")."""
        if self.replace_paths:
            return "forced by " + ", ".join(f"`{path}`" for path in self.replace_paths)
        return "because " + REPLACE_REASONS.get(self.action_reason or "", "Terraform must replace it")


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
    name_attribute = NAME_ATTRIBUTES.get(entry["type"], "name")
    return ResourceChange(
        address=entry["address"],
        type=entry["type"],
        action=Action.of(change["actions"]),
        name_before=text_or_none(shown_value(change, "before", name_attribute)),
        name_after=text_or_none(shown_value(change, "after", name_attribute)),
        replace_paths=tuple(_path_text(path) for path in change.get("replace_paths") or []),
        changed_attributes=_changed_attributes(change) if change.get("before") and change.get("after") else (),
        action_reason=entry.get("action_reason"),
        previous_address=entry.get("previous_address"),
    )


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _path_text(path: Sequence[str | int]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def _changed_attributes(change: Json) -> tuple[str, ...]:
    # Attributes only known after apply (ids, timestamps) are not a reviewer's concern: the
    # ones that matter are those whose planned value differs from the current one. Only names
    # are listed, never values, so a sensitive attribute is named like any other.
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


def drift(plan: Json) -> tuple[str, ...]:
    """Addresses of the resources changed outside Terraform (the plan's ``resource_drift``), sorted."""
    entries = plan.get("resource_drift") or []
    return tuple(sorted({entry["address"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("address"), str)}))
