"""The literal entries of a batch or transaction: read from the syntax, not from values.

``transact_write_items(TransactItems=[...])`` needs the item action of each entry on the table
each entry names; ``batch_get_item(RequestItems={...})`` the tables of its keys. The abstract
values join everything a name holds into one, which would lose which entry goes to which
table, so the shapes are read from the code: a literal list of dicts, a comprehension of a dict,
or a name bound to those in its function and grown with ``append``/``extend``/``+=`` (and not
handed to code that might add other entries). Anything else is not literal: None.
"""

from __future__ import annotations

import ast

from lambda_dynamodb.analysis.program import Program, Scope


class EntryShapes:
    """The literal shapes of a list's entries, read from the code (``[{...}]``, a comprehension of
    a dict, or a name bound to those in its function and grown with ``append``/``extend``/``+=``).

    Syntactic on purpose: the dicts themselves give the entry kinds and tables, which the
    abstract values (joined per name) would lose. Anything else is None: not literal.
    """

    def __init__(self, program: Program, scope: Scope) -> None:
        self.program = program
        self.scope = scope
        self.seen: set[str] = set()

    def entries(self, node: ast.expr) -> list[tuple[ast.Dict, Scope]] | None:
        if isinstance(node, (ast.List, ast.Tuple)):
            return self._all([e.value if isinstance(e, ast.Starred) else e for e in node.elts])
        if isinstance(node, ast.Dict):
            return [(node, self.scope)]
        if isinstance(node, ast.ListComp) and isinstance(node.elt, ast.Dict) and node in self.program.scopes:
            return [(node.elt, self.program.scopes[node])]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._all([node.left, node.right])
        if isinstance(node, ast.Name):
            return self._bound(node.id)
        return None

    def _all(self, nodes: list[ast.expr]) -> list[tuple[ast.Dict, Scope]] | None:
        found: list[tuple[ast.Dict, Scope]] = []
        for node in nodes:
            entries = self.entries(node)
            if entries is None:
                return None
            found += entries
        return found

    def _bound(self, name: str) -> list[tuple[ast.Dict, Scope]] | None:
        """Everything the function (or module) where ``name`` is a local puts into it."""
        scope: Scope | None = self.scope
        while scope is not None and (name not in scope.locals or scope.kind == "class"):
            scope = scope.parent  # where Python finds the name (class bodies are not seen from methods)
        if scope is None or name in self.seen or scope.kind not in ("function", "module"):
            return None
        self.seen.add(name)
        outer, self.scope = self.scope, scope
        try:
            return self._grown(name, _code_nodes(scope))
        finally:
            self.scope = outer

    def _grown(self, name: str, nodes: list[ast.AST]) -> list[tuple[ast.Dict, Scope]] | None:
        parts: list[ast.expr] = []
        handled: set[int] = set()
        for node in nodes:
            added = _added_to(node, name)
            if added is not None:
                parts += added[1]
                handled.add(id(added[0]))
        stores = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)]
        if not parts or any(id(store) not in handled for store in stores) or any(_may_change(n, name) for n in nodes):
            return None  # bound some other way (a loop target, a call's result), or handed on: not literal
        return self._all(parts)


def _added_to(node: ast.AST, name: str) -> tuple[ast.AST, list[ast.expr]] | None:
    """(the name node stored, the values) when ``node`` binds or grows the list ``name``."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name) and targets[0].id == name:
            return targets[0], [node.value]
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        if isinstance(node.target, ast.Name) and node.target.id == name:
            return node.target, [node.value]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        if node.func.value.id == name and node.func.attr in ("append", "extend") and len(node.args) == 1:
            value = node.args[0]
            return node.func.value, [ast.List([value], ast.Load()) if node.func.attr == "append" else value]
    return None


#: Keywords a list of entries is sent as (not handed on to be changed).
_ENTRY_KEYWORDS = frozenset({"TransactItems", "RequestItems"})
#: Calls that only read a list handed to them.
_READERS = frozenset({"len", "bool", "print", "repr", "str", "info", "debug", "warning", "error", "exception", "dumps"})
#: List methods that do not add entries of a new shape (append and extend are read as growing it).
_LIST_READS = frozenset({"append", "extend", "copy", "count", "index"})


def _may_change(node: ast.AST, name: str) -> bool:
    """``node`` hands the list ``name`` to code that may add entries the analysis would not see."""
    if isinstance(node, ast.Call):
        callee = node.func
        if isinstance(callee, ast.Attribute) and _is_name(callee.value, name) and callee.attr not in _LIST_READS:
            return True  # insert, __setitem__...
        reader = callee.attr if isinstance(callee, ast.Attribute) else callee.id if isinstance(callee, ast.Name) else ""
        passed = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
        passed += [k.value for k in node.keywords if k.arg not in _ENTRY_KEYWORDS]
        return reader not in _READERS and any(_is_name(a, name) for a in passed)
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Subscript) and _is_name(t.value, name) for t in targets)
    return False


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _code_nodes(scope: Scope) -> list[ast.AST]:
    """Every node of a function's (or module's) code, with the functions in it (which may grow its lists)."""
    root: ast.AST = scope.function.node if scope.function is not None else scope.module.tree
    return list(ast.walk(root))[1:]
