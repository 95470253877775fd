"""Does an IAM policy document allow an action on a resource? Identity-policy evaluation only.

IAM's rules for one identity-based policy: an explicit ``Deny`` wins, otherwise an ``Allow``
is needed; ``Action`` matches case-insensitively and ``Resource`` case-sensitively, both with
the ``*`` and ``?`` wildcards and nothing else (``[``, ``]`` and ``!`` are plain characters, not
the character classes of shell globs); ``NotAction``/``NotResource`` match what they do not name
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
A statement with a ``Condition`` cannot be decided without the request's context: it never
allows here, and it always denies, so the answer errs on the side of "not allowed".

This is the project's only IAM matcher: the permission checks, the plan review (a policy's
statements as action x resource, :func:`grants`) and the plan diagram (which resources a
statement reaches, :func:`reaches`) all call it.

The module's policies have no conditions; tests check this agrees with moto's evaluator
(``moto.iam.access_control.IAMPolicy``) on generated documents. It lives here, not in moto,
so that synthesis needs no emulator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from lambda_dynamodb.iam.policy import Effect

Document = Mapping[str, Any]


def allows(document: Document, action: str, resource: str) -> bool:
    """True when ``document`` allows ``action`` on ``resource`` and denies neither."""
    every = statements(document)
    if any(_effect(s) == "Deny" and _matches(s, action, resource, deny=True) for s in every):
        return False
    return any(_effect(s) == "Allow" and _matches(s, action, resource, deny=False) for s in every)


def statement_allows(statement: Document, action: str, resource: str) -> bool:
    """True when this one ``Allow`` statement covers ``action`` on ``resource``."""
    return _effect(statement) == "Allow" and _matches(statement, action, resource, deny=False)


def statements(document: Document) -> list[Document]:
    """The document's statements (IAM allows a single statement without a list)."""
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def action_matches(pattern: str, action: str) -> bool:
    """Does the ``Action`` pattern name ``action``? Case-insensitive, ``*`` and ``?`` only."""
    return wildcard(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """Does the ``Resource`` pattern name ``resource``? Case-sensitive, ``*`` and ``?`` only."""
    return wildcard(pattern, False).fullmatch(resource) is not None


def _effect(statement: Document) -> str:
    return str(statement.get("Effect", ""))


def _matches(statement: Document, action: str, resource: str, *, deny: bool) -> bool:
    if "Condition" in statement and not deny:
        return False
    return _covers(statement, "Action", action, ignore_case=True) and _covers(statement, "Resource", resource, ignore_case=False)


def _covers(statement: Document, key: str, value: str, *, ignore_case: bool) -> bool:
    if key in statement:
        return any(wildcard(pattern, ignore_case).fullmatch(value) for pattern in _as_list(statement[key]))
    if f"Not{key}" in statement:
        return not any(wildcard(pattern, ignore_case).fullmatch(value) for pattern in _as_list(statement[f"Not{key}"]))
    return False


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@cache
def wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards as a regular expression: ``*`` any run of characters, ``?`` any one."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


# --- a policy as action x resource (the review and the diagram) ---------------------------------


@dataclass(frozen=True)
class Grant:
    """One action pattern on one resource pattern, as one statement allows (or denies) it.

    ``not_action``/``not_resource``: the statement's ``NotAction``/``NotResource`` names the
    pattern, so it covers everything *but* it.
    """

    action: str
    resource: str
    effect: Effect = Effect.ALLOW
    not_action: bool = False
    not_resource: bool = False


def grants(document: Document) -> frozenset[Grant]:
    """Every (action, resource) pair the document's statements name, with its statement's effect.

    A ``Condition`` is not part of the pair: the review lists what the statements name.
    """
    found = set()
    for statement in statements(document):
        effect = Effect(_effect(statement) or Effect.ALLOW.value)
        actions, not_action = _named(statement, "Action")
        resources, not_resource = _named(statement, "Resource")
        found |= {Grant(a, r, effect, not_action, not_resource) for a in actions for r in resources}
    return frozenset(found)


def _named(statement: Document, key: str) -> tuple[list[str], bool]:
    if key in statement:
        return _as_list(statement[key]), False
    return _as_list(statement.get(f"Not{key}", [])), True


def acts_on_service(grant: Grant, service: str) -> bool:
    """Can the grant's action pattern name an action of ``service`` (e.g. ``dynamodb``)?

    ``dynamodb:Get*`` and ``*`` can; ``logs:CreateLogGroup`` cannot. A ``NotAction`` grant is
    left out: it names what it does not allow.
    """
    if grant.not_action:
        return False
    head, colon, _ = grant.action.partition(":")
    if colon:
        return action_matches(head, service)
    return action_matches(grant.action, f"{service}:Action")  # "*", "dyn*": a wildcard over the colon


def reaches(grant: Grant, arn: str, separator: str) -> bool:
    """Does the grant's resource pattern name ``arn`` or a sub-resource of it?

    Sub-resources follow ``separator``: a table's indexes and streams (``table/T/index/...``,
    ``separator="/"``), a log group's streams (``log-group:G:log-stream:...``, ``":"``).
    A ``NotResource`` grant is left out: it names what it does not allow.
    """
    if grant.not_resource:
        return False
    pattern = grant.resource
    below = f"{arn}{separator}"
    # The pattern names ``arn`` itself, a given sub-resource of it, or some sub-resource
    # (``below*`` read literally: a pattern that matches it covers names below ``arn``).
    return resource_matches(pattern, arn) or pattern.startswith(below) or resource_matches(pattern, f"{below}*")
