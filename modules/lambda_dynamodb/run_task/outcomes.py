"""A plan's review as a task result: status, message and at most 10 outcomes (pure).

The review is the one ``lambda-dynamodb review`` makes (:func:`lambda_dynamodb.review.model.plan_review`).
Outcomes, in this order: ``summary`` (counts, stack, drift, errors and warnings), ``changes``
(replacements and deletions, if any), ``iam-<policy>`` for each role whose permissions change
(action x resource, why, verdict; when the roles outnumber the free slots, the rest are merged
into one ``iam-more`` outcome), ``least-privilege`` and ``plan-checks`` (if any). Each has a
``Severity`` tag (High/Medium/Info); the summary also a ``Status`` tag. ``failed`` when the
review has an error, ``passed`` otherwise. Limits: :mod:`lambda_dynamodb.run_task.callback`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from lambda_dynamodb.iam.verdict import Verdict
from lambda_dynamodb.review.findings import Finding, Level, Section
from lambda_dynamodb.review.model import PlanReview, RoleChanges
from lambda_dynamodb.run_task.callback import OUTCOME_ID_LIMIT, OUTCOMES_LIMIT, Outcome, Status, Tag, TagLevel, TaskResult

SEVERITY = "Severity"
STATUS = "Status"
SEVERITY_TAGS = {Level.ERROR: Tag("High", TagLevel.ERROR), Level.WARNING: Tag("Medium", TagLevel.WARNING), Level.INFO: Tag("Info", TagLevel.INFO)}
_LEVELS = list(Level)
#: Drifted addresses the summary names (the rest are counted): the summary stays readable.
DRIFT_SHOWN = 10
#: The finding sections with an outcome of their own, and its outcome-id.
SECTION_IDS = {Section.CHANGES: "changes", Section.LEAST_PRIVILEGE: "least-privilege", Section.PLAN_CHECKS: "plan-checks"}


def review_result(review: PlanReview, *, url: str | None = None, notes: Sequence[str] = ()) -> TaskResult:
    """The final task result for ``review``; ``notes`` (one line each) go into the summary."""
    sections = {section: [f for f in review.findings if f.section is section] for section in Section}
    fixed = 1 + sum(1 for findings in sections.values() if findings)
    outcomes = [_summary(review, notes, url)]
    if sections[Section.CHANGES]:
        outcomes.append(_findings_outcome(Section.CHANGES, sections[Section.CHANGES], url))
    outcomes += _role_outcomes(review, OUTCOMES_LIMIT - fixed, url)
    for section in (Section.LEAST_PRIVILEGE, Section.PLAN_CHECKS):
        if sections[section]:
            outcomes.append(_findings_outcome(section, sections[section], url))
    status = Status.PASSED if review.passed else Status.FAILED
    return TaskResult(status, _message(review), url, tuple(outcomes))


def _message(review: PlanReview) -> str:
    errors, warnings = len(review.errors), len(review.warnings)
    counted = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if review.passed:
        return f"Passed: {review.counts.sentence()}; {counted}."
    return f"Failed: {counted}; {review.counts.sentence()}. First: {_plain(review.errors[0].text)}"


def _summary(review: PlanReview, notes: Sequence[str], url: str | None) -> Outcome:
    stack = f"stack `{review.stack}`" if review.stack else "stack unknown"
    lines = [f"**Plan review: {review.title}** ({stack})", "", f"**{review.counts.sentence()}.**", ""]
    lines.append(f"- Errors: {len(review.errors)}; warnings: {len(review.warnings)}.")
    if review.drift:
        shown = ", ".join(f"`{address}`" for address in review.drift[:DRIFT_SHOWN])
        more = f" and {len(review.drift) - DRIFT_SHOWN} more (plan.md lists every one)" if len(review.drift) > DRIFT_SHOWN else ""
        lines.append(f"- Drift (changed outside Terraform): {len(review.drift)} resources: {shown}{more}.")
    else:
        lines.append("- No drift: nothing changed outside Terraform.")
    if review.why_unavailable:
        lines.append(f"- The why column is unavailable: {review.why_unavailable}.")
    lines += [f"- `{u.address}` ({u.policy}): {u.reason}" for u in review.unknown]
    lines += [f"- {note}" for note in notes]
    worst = Level.ERROR if review.errors else Level.WARNING if review.warnings else Level.INFO
    status = Tag("Passed", TagLevel.INFO) if review.passed else Tag("Failed", TagLevel.ERROR)
    description = f"{review.counts.sentence()}; {_plural(len(review.errors), 'error')}, {_plural(len(review.warnings), 'warning')}"
    tags = ((SEVERITY, (SEVERITY_TAGS[worst],)), (STATUS, (status,)))
    return Outcome("summary", description, "\n".join(lines), tags, url)


def _findings_outcome(section: Section, findings: Sequence[Finding], url: str | None) -> Outcome:
    worst = _worst(f.level for f in findings)
    counts = ", ".join(_plural(n, level.value) for level in Level if (n := sum(f.level is level for f in findings)))
    lines = [f"- **{f.level.value.upper()}** ({f.kind.value}): {f.text}" for f in findings]
    description = f"{section.value}: {counts}. {_plain(findings[0].text)}"
    return Outcome(SECTION_IDS[section], description, "\n".join(lines), ((SEVERITY, (SEVERITY_TAGS[worst],)),), url)


def _role_outcomes(review: PlanReview, free: int, url: str | None) -> list[Outcome]:
    roles = [role for role in review.roles if role.rows]
    if not roles or free <= 0:
        return []
    levels = {role.address: _role_level(role, review.findings) for role in roles}
    if len(roles) > free:
        # The most severe roles keep an outcome of their own; the rest share the last slot.
        ranked = sorted(roles, key=lambda role: (_LEVELS.index(levels[role.address]), role.policy))
        alone, merged = ranked[: free - 1], ranked[free - 1 :]
        alone.sort(key=lambda role: role.policy)
    else:
        alone, merged = roles, []
    used: set[str] = set()
    outcomes = [_role_outcome(role, levels[role.address], _role_id(role, used), url) for role in alone]
    if merged:
        worst = _worst(levels[role.address] for role in merged)
        names = ", ".join(role.policy for role in merged)
        body = "\n\n".join(f"### {_cell(role.policy)}\n\n{_role_table(role)}" for role in merged)
        description = f"IAM changes of {len(merged)} more roles: {names}"
        outcomes.append(Outcome("iam-more", description, body, ((SEVERITY, (SEVERITY_TAGS[worst],)),), url))
    return outcomes


def _role_outcome(role: RoleChanges, level: Level, outcome_id: str, url: str | None) -> Outcome:
    added = sum(row.change.value == "added" for row in role.rows)
    removed = len(role.rows) - added
    of = f" (function {role.function})" if role.function else ""
    description = f"IAM changes of {role.policy}{of}: {added} added, {removed} removed"
    body = f"Policy `{role.address}`{of}.\n\n{_role_table(role)}"
    return Outcome(outcome_id, description, body, ((SEVERITY, (SEVERITY_TAGS[level],)),), url)


def _role_table(role: RoleChanges) -> str:
    rows = ["| change | action | resource | why | verdict |", "|---|---|---|---|---|"]
    rows += [
        f"| {row.change.value} | `{_cell(row.action)}` | `{_cell(row.resource)}` | {_cell(row.why)} | {_cell(row.verdict)} |"
        for row in role.rows
    ]
    return "\n".join(rows)


def _role_level(role: RoleChanges, findings: Iterable[Finding]) -> Level:
    levels = [f.level for f in findings if f.address == role.address]
    levels += [Level.ERROR for row in role.rows if row.verdict == Verdict.MISSING.value]
    levels += [Level.WARNING for row in role.rows if row.verdict == Verdict.UNUSED.value]
    return _worst(levels)


def _role_id(role: RoleChanges, used: set[str]) -> str:
    """``iam-<policy>``, at most 64 characters, stable for the same policy, unique in the result."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", role.policy).strip("-") or "policy"
    outcome_id = f"iam-{slug}"
    if len(outcome_id) > OUTCOME_ID_LIMIT or outcome_id in used:
        digest = hashlib.sha256(role.address.encode("utf-8")).hexdigest()[:8]
        outcome_id = f"iam-{slug[: OUTCOME_ID_LIMIT - 13]}-{digest}"
    used.add(outcome_id)
    return outcome_id


def _worst(levels: Iterable[Level]) -> Level:
    return min(levels, key=_LEVELS.index, default=Level.INFO)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _plain(text: str) -> str:
    """A finding's markdown as a one-line message (HCP Terraform shows the message as text)."""
    return text.replace("`", "").replace("**", "")


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def failure(message: str, url: str | None = None) -> TaskResult:
    """``failed`` with what went wrong (one line, no traceback, no token)."""
    return TaskResult(Status.FAILED, message, url)


def running(url: str | None = None) -> TaskResult:
    return TaskResult(Status.RUNNING, "Reviewing the plan: replacements, IAM changes, least privilege, plan checks.", url)


def passed(message: str, url: str | None = None) -> TaskResult:
    return TaskResult(Status.PASSED, message, url)
