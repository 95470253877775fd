"""What the review finds in a plan, as typed findings; and the checks on the plan's resource changes (pure).

A :class:`Finding` is one line of markdown with a level, a kind and the section it belongs to;
plan.md (:mod:`lambda_dynamodb.review.summary`) and the run task's outcomes both show them, and a
plan with any :attr:`Level.ERROR` fails the run task. The checks here read the resource changes
(replacements, deletions, deletion protection, public function URLs) and the plan checks of
:mod:`lambda_dynamodb.review.aws_checks`; the least-privilege checks, which also read the
permissions manifest, are in :mod:`lambda_dynamodb.review.least_privilege`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from lambda_dynamodb.review.aws_checks import order_checks, ttl_checks
from lambda_dynamodb.review.changes import DATA_LOSS, Action, ResourceChange
from lambda_dynamodb.review.plan_file import Json, shown_value

TABLE = "aws_dynamodb_table"
FUNCTION_URL = "aws_lambda_function_url"
#: What a reviewer can still do about a lost table (plan.md's line keeps its words before it).
TABLE_ADVICE = "Once this is applied its items are lost: back the table up first if they matter."


class Level(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Section(str, Enum):
    """Where a finding is shown, in this order."""

    CHANGES = "Replacements and deletions"
    LEAST_PRIVILEGE = "Least privilege"
    PLAN_CHECKS = "Plan checks"


class Kind(str, Enum):
    TABLE_LOST = "table replaced or destroyed"
    REPLACEMENT = "replacement"
    DESTROY = "destroy"
    DELETION_PROTECTION_OFF = "deletion protection turned off"
    MISSING_PERMISSION = "missing permission"
    WILDCARD_ACTION = "wildcard action"
    UNUSED_GRANT = "unused grant"
    PUBLIC_URL = "public function URL"
    AWS_REFUSES = "AWS refuses"
    UPDATE_ORDER = "update order"


@dataclass(frozen=True)
class Finding:
    level: Level
    kind: Kind
    section: Section
    #: The Terraform address the finding is about.
    address: str
    #: One line of markdown (no newline).
    text: str

    def __post_init__(self) -> None:
        if "\n" in self.text:
            raise ValueError(f"Finding.text {self.text!r} has a newline: a finding is one line of markdown")


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Section order, then errors before warnings before info, then address (stable otherwise)."""
    sections, levels = list(Section), list(Level)
    return tuple(sorted(findings, key=lambda f: (sections.index(f.section), levels.index(f.level), f.address)))


# --- replacements and deletions ---------------------------------------------------------------


def change_findings(changes: Sequence[ResourceChange]) -> list[Finding]:
    """A replaced or destroyed table is an error (its items are lost); other replacements, and
    destroyed resources that hold data, are warnings."""
    found = []
    for change in changes:
        loss = DATA_LOSS.get(change.type)
        what = f"`{change.address}` ({change.name})"
        if change.action is Action.REPLACE:
            consequence = f"; {loss}." if loss else "."
            text = f"{what} will be destroyed and re-created, {change.replace_cause}{consequence}"
        elif change.action is Action.DELETE and loss:
            text = f"{what} will be destroyed; {loss}."
        else:
            continue
        if change.type == TABLE:
            text += f" {TABLE_ADVICE}"
            found.append(Finding(Level.ERROR, Kind.TABLE_LOST, Section.CHANGES, change.address, text))
        else:
            kind = Kind.REPLACEMENT if change.action is Action.REPLACE else Kind.DESTROY
            found.append(Finding(Level.WARNING, kind, Section.CHANGES, change.address, text))
    return found


def deletion_protection_findings(plan: Json) -> list[Finding]:
    """A table update that turns deletion protection off: the next plan may destroy it unopposed."""
    found = []
    for entry in _managed(plan, TABLE):
        change = entry["change"]
        before, after = change.get("before") or {}, change.get("after") or {}
        if change["actions"] == ["update"] and before.get("deletion_protection_enabled") is True and after.get("deletion_protection_enabled") is False:
            name = shown_value(change, "after", "name") or entry["address"]
            text = (
                f"`{entry['address']}` ({name}): deletion protection is turned off, so a later plan can destroy the table "
                "and its items without DynamoDB refusing it."
            )
            found.append(Finding(Level.WARNING, Kind.DELETION_PROTECTION_OFF, Section.CHANGES, entry["address"], text))
    return found


def public_url_findings(plan: Json) -> list[Finding]:
    """A planned function URL with authorization NONE: anyone who has the URL can call the function."""
    found = []
    for entry in _managed(plan, FUNCTION_URL):
        change = entry["change"]
        if "delete" in change["actions"] and not change.get("after"):
            continue
        if (change.get("after") or {}).get("authorization_type") == "NONE":
            function = shown_value(change, "after", "function_name")
            of = f" (function `{function}`)" if isinstance(function, str) else ""
            text = (
                f"`{entry['address']}`{of} has authorization NONE: anyone with the URL can call the function; "
                "the function must authenticate each request itself."
            )
            found.append(Finding(Level.WARNING, Kind.PUBLIC_URL, Section.LEAST_PRIVILEGE, entry["address"], text))
    return found


def _managed(plan: Json, kind: str) -> list[Json]:
    return [e for e in plan.get("resource_changes", []) if e.get("mode") == "managed" and e["type"] == kind]


# --- plan checks: what AWS would refuse or leave half done --------------------------------------


def plan_check_findings(plan: Json) -> list[Finding]:
    """The changes the emulator lets through but AWS refuses (TTL) or leaves half done (update order)."""
    refused = [Finding(Level.ERROR, Kind.AWS_REFUSES, Section.PLAN_CHECKS, address, text) for address, text in ttl_checks(plan)]
    order = [Finding(Level.ERROR, Kind.UPDATE_ORDER, Section.PLAN_CHECKS, address, text) for address, text in order_checks(plan)]
    return refused + order
