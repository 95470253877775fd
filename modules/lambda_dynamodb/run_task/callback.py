"""The task result the run task PATCHes back, within HCP Terraform's limits (pure).

The body is JSON:API, outcomes under ``relationships.outcomes`` as the integration API page,
go-tfe and pytfe put them
(https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration,
"Run Task Callback"; the schemas are in hashicorp/terraform-docs-common, website/public/schema/run-tasks/).
The limits are those of HashiCorp's run task result schemas: message 1-1,000 characters, url at
most 500, 1-10 outcomes, outcome-id at most 64, description at most 1,000 (one line), body at
most 10,000 (markdown), tag labels at most 32, tag keys ``^[A-Za-z_][A-Za-z0-9_]*$``, levels
none/info/warning/error. A text over its limit is cut with a note saying how much was cut and
how to see all of it: a result is never refused for its size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

MESSAGE_LIMIT = 1000
URL_LIMIT = 500
OUTCOMES_LIMIT = 10
OUTCOME_ID_LIMIT = 64
DESCRIPTION_LIMIT = 1000
BODY_LIMIT = 10_000
LABEL_LIMIT = 32
TAG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Where to see what a cut text left out.
SEE_ALL = "run `lambda-dynamodb review plan.json` on the plan's JSON to see all of it"


class Status(str, Enum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


class TagLevel(str, Enum):
    NONE = "none"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Tag:
    label: str
    level: TagLevel


@dataclass(frozen=True)
class Outcome:
    outcome_id: str
    description: str
    body: str
    #: key (e.g. "Severity", "Status": displayed specially) -> its tags
    tags: tuple[tuple[str, tuple[Tag, ...]], ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class TaskResult:
    status: Status
    message: str
    url: str | None = None
    outcomes: tuple[Outcome, ...] = ()


def cut(text: str, limit: int, what: str = "text") -> str:
    """``text`` if it fits in ``limit`` characters, else its start and a note on what was cut."""
    if len(text) <= limit:
        return text
    note = f" … [{what} cut: {{shown}} of {len(text):,} characters shown; {SEE_ALL}]"
    keep = max(0, limit - len(note.format(shown=f"{limit:,}")))
    return text[:keep].rstrip() + note.format(shown=f"{keep:,}")


def cut_lines(text: str, limit: int, what: str = "body") -> str:
    """Markdown cut at a line's end (a table keeps whole rows), with the note on a line of its own."""
    if len(text) <= limit:
        return text
    note = f"\n\n_{what} cut: {{shown}} of {len(text):,} characters shown; {SEE_ALL}._"
    keep = max(0, limit - len(note.format(shown=f"{limit:,}")))
    start = text[:keep]
    if "\n" in start:
        start = start[: start.rindex("\n")]
    return start + note.format(shown=f"{len(start):,}")


def one_line(text: str) -> str:
    return " ".join(text.split())


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _url(url: str | None) -> str | None:
    # A cut URL is a broken link: one over the limit is left out instead.
    return url if url and len(url) <= URL_LIMIT else None


def document(result: TaskResult) -> dict[str, Any]:
    """The PATCH body for ``result``, every field within its limit."""
    attributes: dict[str, Any] = {"status": result.status.value, "message": cut(one_line(result.message) or result.status.value, MESSAGE_LIMIT, "message")}
    url = _url(result.url)
    if url:
        attributes["url"] = url
    data: dict[str, Any] = {"type": "task-results", "attributes": attributes}
    if result.outcomes:
        outcomes = list(result.outcomes)
        if len(outcomes) > OUTCOMES_LIMIT:
            raise ValueError(f"{len(outcomes)} outcomes: at most {OUTCOMES_LIMIT} fit in a task result (merge them first)")
        data["relationships"] = {"outcomes": {"data": [_outcome(outcome) for outcome in outcomes]}}
    return {"data": data}


def _outcome(outcome: Outcome) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "outcome-id": outcome.outcome_id[:OUTCOME_ID_LIMIT],
        "description": cut(one_line(outcome.description) or outcome.outcome_id, DESCRIPTION_LIMIT, "description"),
        "body": cut_lines(outcome.body, BODY_LIMIT),
    }
    url = _url(outcome.url)
    if url:
        attributes["url"] = url
    tags: dict[str, list[dict[str, str]]] = {}
    for key, values in outcome.tags:
        if not TAG_KEY.match(key):
            raise ValueError(f"tag key {key!r} must match {TAG_KEY.pattern}")
        tags[key] = [{"label": _label(tag.label), "level": tag.level.value} for tag in values]
    if tags:
        attributes["tags"] = tags
    return {"type": "task-result-outcomes", "attributes": attributes}
