"""What the interpreter's parts share: the state a round builds, a call's arguments, a call's site.

The interpreter is one class (:class:`~.interpreter.Interpreter`) assembled from parts, one
module each: names and imports (:mod:`.names`), expressions and calls (:mod:`.expressions`),
members of the code's own objects (:mod:`.members`), code outside the folder (:mod:`.outside`)
and the SDK's rules (:mod:`.sdk`). They call one another through ``self``; :class:`Base` declares
the attributes they all read, so each part can be read on its own.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from lambda_dynamodb.analysis.model import CodeCall, Unresolved
from lambda_dynamodb.analysis.values import NOTHING, Str, Value, join
from lambda_dynamodb.analysis.program import Class, Function, Module, Program, Scope


_T = TypeVar("_T")
#: Code that runs as one piece: a function's body, or a module's import-time code.
Owner = Function | Module


@dataclass
class State:
    """What the analysis knows: the value of every name, function result and class attribute."""

    names: dict[tuple[Scope, str], Value] = field(default_factory=dict)
    returns: dict[Function, Value] = field(default_factory=dict)
    attrs: dict[tuple[Class, str], Value] = field(default_factory=dict)
    called: set[Function] = field(default_factory=set)
    escaped: set[Function] = field(default_factory=set)
    #: Which code runs which: (a function or a module's import-time code, a function or module it runs).
    edges: set[tuple[Owner, Owner]] = field(default_factory=set)

    def bind(self, scope: Scope, name: str, value: Value) -> None:
        self.names[scope, name] = join(self.names.get((scope, name), NOTHING), value)


@dataclass
class Args:
    positional: list[Value] = field(default_factory=list)
    positional_nodes: list[ast.expr] = field(default_factory=list)
    starred: bool = False  # a *sequence: the positions after the listed ones are unknown
    keywords: dict[str, Value] = field(default_factory=dict)
    nodes: dict[str, ast.expr] = field(default_factory=dict)
    double_star: bool = False  # a **mapping that is not a literal dict

    def values(self) -> list[Value]:
        return self.positional + list(self.keywords.values())

    def text(self, name: str, position: int | None = None) -> str | None:
        value = self.get(name, position)
        return value.text if isinstance(value, Str) else None

    def get(self, name: str, position: int | None = None) -> Value:
        if position is not None and position < len(self.positional):
            return self.positional[position]
        return self.keywords.get(name, NOTHING)


@dataclass(frozen=True)
class Site:
    """Where a method is taken: its line, and the receiver's text for messages."""

    module: Module
    node: ast.AST
    scope: Scope
    receiver: ast.expr | None = None

    @property
    def line(self) -> int:
        # The line of the method name, even when the receiver is a chain over several lines.
        if isinstance(self.node, ast.Attribute):
            return int(self.node.end_lineno or self.node.lineno)
        return int(getattr(self.node, "lineno", 1))

    @property
    def key(self) -> tuple[object, ...]:
        position = ("lineno", "col_offset", "end_lineno", "end_col_offset")
        return (self.module.path, *(getattr(self.node, name, 0) for name in position))


class Base:
    """What every part of the interpreter reads (set by ``Interpreter.__init__`` and each round),
    and how each records what it finds and what runs what."""

    program: Program
    #: The handler's module and function name; None: every function is an entry point.
    entry: tuple[Module, str] | None
    #: The state of the last round (read) and the one being built (read and grown).
    old: State
    new: State
    #: The last round: calls and unresolved places are recorded only then.
    recording: bool
    #: While values are still rising from nothing: a function no call reaches has parameters of no value.
    optimistic: bool
    #: The code being interpreted (a function, or a module's import-time code).
    owner: Owner | None
    #: What the handler reaches (None: no handler, every function counts).
    reached: set[Owner] | None
    #: Each class' method resolution order, and the library classes it derives from (per round).
    bases: dict[Class, list[Class]]
    library_bases: dict[Class, set[str]]
    #: What was found (by where and what), and which code found it: judged against ``reached`` at the end.
    records: dict[tuple[object, ...], CodeCall | Unresolved]
    record_owners: dict[tuple[object, ...], set[Owner]]

    def _is_reached(self) -> bool:
        return self.reached is None or self.owner is None or self.owner in self.reached

    def _call(self, site: Site, method: str, operation: str, actions: tuple[str, ...], table: str | None, index: str | None) -> None:
        if self.recording:
            call = CodeCall(site.module.path, site.line, method, operation, actions, table, index)
            self._record((*site.key, call), call)

    def _record(self, key: tuple[object, ...], record: CodeCall | Unresolved) -> None:
        self.records[key] = record
        if self.owner is not None:
            self.record_owners.setdefault(key, set()).add(self.owner)

    def _unresolved(self, site: Site, reason: str) -> None:
        if self.recording:
            entry = Unresolved(site.module.path, site.line, reason)
            self._record((*site.key, entry), entry)

    def _as_owner(self, owner: Owner, run: Callable[[], _T]) -> _T:
        """Interpret a function's body as its own code (for what reaches what)."""
        outer, self.owner = self.owner, owner
        try:
            return run()
        finally:
            self.owner = outer

    def _runs(self, target: Owner) -> None:
        """The code being interpreted runs ``target`` (a call, a callback handed over, an import)."""
        if self.owner is not None:
            self.new.edges.add((self.owner, target))
