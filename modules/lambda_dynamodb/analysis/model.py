"""The analysis' results: each call found (:class:`CodeCall`), each place it cannot read
(:class:`Unresolved`), and both for one folder (:class:`CodeAnalysis`).

Plain frozen values, apart from how they are found: the permission check
(:mod:`lambda_dynamodb.iam.permissions`), the permissions manifest and ``lambda-dynamodb
code-calls`` read only these, so the interpreter can change without them noticing. Files are
named as messages show them (:func:`display_root`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CodeCall:
    """One DynamoDB API call the code can make, and the IAM actions it needs."""

    path: str
    line: int
    method: str
    operation: str
    actions: tuple[str, ...]
    table: str | None
    index: str | None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Unresolved:
    """A place where the code may call DynamoDB in a way the analysis cannot read."""

    path: str
    line: int
    reason: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class CodeAnalysis:
    """What the code of one folder calls, from its handler when one is given."""

    #: The folder as messages name it, with a trailing ``/``: every path below starts with it.
    source: str
    files: tuple[str, ...]
    calls: tuple[CodeCall, ...]
    unresolved: tuple[Unresolved, ...]
    #: What the handler never reaches (when a handler is given): listed, granting and blocking nothing.
    unreachable: tuple[CodeCall | Unresolved, ...] = ()
    handler: str | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({action for call in self.calls for action in call.actions}))


def display_root(source_dir: Path) -> str:
    """How messages name the folder: relative to the working directory (where ``cdktf synth``
    runs, so ``functions/sync/handler.py:14`` opens in an editor), else by its own name."""
    try:
        return source_dir.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return source_dir.name
