"""Does an IAM policy document allow an action on a resource? Identity-policy evaluation only.

IAM's rules for one identity-based policy: an explicit ``Deny`` wins, otherwise an ``Allow``
is needed; ``Action`` matches case-insensitively and ``Resource`` case-sensitively, both with
the ``*`` and ``?`` wildcards; ``NotAction``/``NotResource`` match what they do not name
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
A statement with a ``Condition`` cannot be decided without the request's context: it never
allows here, and it always denies, so the answer errs on the side of "not allowed".

The module's policies have no conditions; tests check this agrees with moto's evaluator
(``moto.iam.access_control.IAMPolicy``) on generated documents. It lives here, not in moto,
so that synthesis needs no emulator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

Document = Mapping[str, Any]


def allows(document: Document, action: str, resource: str) -> bool:
    """True when ``document`` allows ``action`` on ``resource`` and denies neither."""
    statements = _statements(document)
    if any(_effect(s) == "Deny" and _matches(s, action, resource, deny=True) for s in statements):
        return False
    return any(_effect(s) == "Allow" and _matches(s, action, resource, deny=False) for s in statements)


def statement_allows(statement: Document, action: str, resource: str) -> bool:
    """True when this one ``Allow`` statement covers ``action`` on ``resource``."""
    return _effect(statement) == "Allow" and _matches(statement, action, resource, deny=False)


def _statements(document: Document) -> list[Document]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


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
