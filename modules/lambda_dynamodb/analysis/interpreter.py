"""The interpreter: rounds over the whole program to a fixed point, then one that records.

The interpretation is flow-insensitive: a name's value is the join of everything assigned to it
in its scope, a parameter's the join of what every call site in the analysed files passes, a
function's result the join of its ``return`` values. Each round interprets every module's
import-time code and every function body once, growing the values of the last; first
optimistically (a function no call reaches yet has parameters of no value), then treating the
parameters of such functions as unknown. A last round records each call on a DynamoDB object
(:mod:`.sdk`) and the calls libraries make (:mod:`.outside`), with the code that made it; with a
handler, only what it reaches (:meth:`Interpreter._reach`) counts.

This module holds the rounds, reachability and statements; :class:`Interpreter` is assembled
from the parts that evaluate names and imports (:mod:`.names`), expressions and calls
(:mod:`.expressions`), the code's own objects (:mod:`.members`), code outside the folder
(:mod:`.outside`) and the SDK (:mod:`.sdk`): one class, because every rule may need any other
(an argument is an expression, whose call may be the SDK's), split by what each rule is about.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from lambda_dynamodb.analysis.expressions import Expressions
from lambda_dynamodb.analysis.members import Members
from lambda_dynamodb.analysis.model import CodeCall, Unresolved
from lambda_dynamodb.analysis.names import Names
from lambda_dynamodb.analysis.outside import Outside
from lambda_dynamodb.analysis.program import Class, Function, Module, Program, Scope, parent_packages
from lambda_dynamodb.analysis.sdk import Sdk
from lambda_dynamodb.analysis.state import Owner, State
from lambda_dynamodb.analysis.values import ClassRef, Functions, Instance, ModuleRef, NOTHING, OTHER, UNKNOWN, Value, join, plain

#: Decorators known to only wrap (or describe) a function: it runs when it is called, not because it is defined.
_PASS_THROUGH_DECORATORS = frozenset(
    {"cache", "lru_cache", "cached_property", "property", "staticmethod", "classmethod", "setter", "getter", "deleter"}
    | {"wraps", "contextmanager", "asynccontextmanager", "abstractmethod", "overload", "override", "singledispatch"}
    | {"capture_method", "capture_lambda_handler", "inject_lambda_context", "log_metrics", "idempotent_function", "retry"}
)
_MAX_ROUNDS = 100


class Interpreter(Names, Expressions, Members, Outside, Sdk):
    """The analysis of one program (from ``entry``, a handler, when given): :meth:`run` it once."""

    def __init__(self, program: Program, entry: tuple[Module, str] | None = None) -> None:
        self.program = program
        self.entry = entry
        self.old = State()
        self.new = State()
        self.recording = False
        self.optimistic = False
        self.records: dict[tuple[object, ...], CodeCall | Unresolved] = {}
        self.record_owners: dict[tuple[object, ...], set[Owner]] = {}
        self.bases: dict[Class, list[Class]] = {}
        self.library_bases: dict[Class, set[str]] = {}
        self.owner: Owner | None = None
        self.reached: set[Owner] | None = None  # None: no handler, every function is an entry point

    def run(self) -> tuple[list[CodeCall | Unresolved], list[CodeCall | Unresolved]]:
        """The records in code the handler reaches, and the others."""
        # First optimistic (a function no call reaches yet has parameters of no value), so that
        # values rise from nothing and a recursive call cannot keep an early "unknown" alive;
        # then pessimistic: the parameters of a function no call reaches are unknown.
        state = self._initial()
        for optimistic in (True, False):
            self.optimistic = optimistic
            state = self._fixed_point(state)
        self.recording = True
        self._round(state)
        reached = self._reach(self.new)
        inside: list[CodeCall | Unresolved] = []
        outside: list[CodeCall | Unresolved] = []
        for key, record in self.records.items():
            owners = self.record_owners.get(key, set())
            (inside if reached is None or owners & reached else outside).append(record)
        return inside, outside

    def _reach(self, state: State) -> set[Owner] | None:
        """What the handler runs: its function, its module's import-time code, and all they run."""
        if self.entry is None:
            return None
        module, name = self.entry
        roots: set[Owner] = {module}
        roots |= {self.program.modules[p] for p in parent_packages(module.name) if p in self.program.modules}
        value = state.names.get((module.scope, name), NOTHING)
        if isinstance(value, Functions):
            roots |= set(value.functions)
        graph: dict[Owner, set[Owner]] = {}
        for source, target in state.edges:
            graph.setdefault(source, set()).add(target)
        for imported in self.program.all_files:  # an import runs the module's code
            graph.setdefault(imported, set()).update(self.program.modules[n] for n in imported.imports if n in self.program.modules)
        reached, todo = set(roots), list(roots)
        while todo:
            for target in graph.get(todo.pop(), ()):
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        return reached

    def _fixed_point(self, state: State) -> State:
        for _ in range(_MAX_ROUNDS):
            after = self._round(state)
            if after == state:
                break
            state = after
        return state

    def _initial(self) -> State:
        state = State()
        for function in self.program.functions.values():
            if function.self_param:
                state.names[function.scope, function.self_param] = function.self_value()
        if self.entry is not None:
            module, name = self.entry
            for node in module.tree.body:  # the handler is called by Lambda: its event and context are unknown
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                    state.escaped.add(self.program.functions[node])
        return state

    def _round(self, old: State) -> State:
        # Values only ever grow (each round joins onto the last), and every operation is
        # monotone, so the rounds reach a fixed point; reading the values of this round as they
        # grow gets there sooner. Which functions are called is counted afresh each round.
        self.old, self.bases, self.library_bases = old, {}, {}
        self.new = State(dict(old.names), dict(old.returns), dict(old.attrs), set(), set(old.escaped), set(old.edges))
        self.reached = self._reach(old)
        for module in self.program.all_files:
            self.owner = module
            self._block(module.tree.body, module.scope)
        for function in self.program.functions.values():
            self._finish_parameters(function)
        return self.new

    def _finish_parameters(self, function: Function) -> None:
        arguments = function.node.args
        names = function.parameters
        uncalled = function not in self.new.called and not self.optimistic
        if uncalled or function in self.new.escaped:
            for name in names:
                if name != function.self_param:
                    # Called from outside the analysed files (or not at all): it could be anything.
                    self.new.bind(function.scope, name, UNKNOWN)
        for extra in (arguments.vararg, arguments.kwarg):
            if extra is not None:
                self.new.bind(function.scope, extra.arg, UNKNOWN)
        if function.self_param:
            self.new.names[function.scope, function.self_param] = function.self_value()

    def _block(self, statements: Iterable[ast.stmt], scope: Scope) -> None:
        for statement in statements:
            self._statement(statement, scope)

    def _statement(self, node: ast.stmt, scope: Scope) -> None:  # noqa: C901 - one branch per statement kind
        if isinstance(node, ast.Assign):
            self._assign(node.targets, node.value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._assign([node.target], node.value, scope)
        elif isinstance(node, ast.AugAssign):
            value = self._ev(node.value, scope)
            current = self._ev(node.target, scope)
            self._bind(node.target, plain(value, current), scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._bind(node.target, self._iterate(self._ev(node.iter, scope)), scope)
            self._block(node.body + node.orelse, scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = self._ev(item.context_expr, scope)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, self._enter(value), scope)
            self._block(node.body, scope)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._define_function(node, scope)
        elif isinstance(node, ast.ClassDef):
            self._define_class(node, scope)
        elif isinstance(node, ast.Import):
            self._import(node, scope)
        elif isinstance(node, ast.ImportFrom):
            self._import_from(node, scope)
        elif isinstance(node, ast.Return):
            value = self._ev(node.value, scope) if node.value is not None else NOTHING
            self._returns(scope, value)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            self._block(node.body, scope)
            for handler in node.handlers:
                if handler.type is not None:
                    self._ev(handler.type, scope)
                if handler.name:
                    self.new.bind(self._store_scope(scope, handler.name), handler.name, OTHER)
                self._block(handler.body, scope)
            self._block(node.orelse + node.finalbody, scope)
        elif isinstance(node, ast.Match):
            self._ev(node.subject, scope)
            for case in node.cases:
                for name in _pattern_names(case.pattern):
                    self.new.bind(self._store_scope(scope, name), name, UNKNOWN)
                if case.guard is not None:
                    self._ev(case.guard, scope)
                self._block(case.body, scope)
        else:  # if, while, expression, raise, assert, delete, pass, global...
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr) and not isinstance(getattr(child, "ctx", None), ast.Del):
                    self._ev(child, scope)
                elif isinstance(child, ast.stmt):
                    self._statement(child, scope)

    def _returns(self, scope: Scope, value: Value) -> None:
        function = scope.function
        if function is not None and not function.generator:
            self.new.returns[function] = join(self.new.returns.get(function, NOTHING), value)

    def _assign(self, targets: list[ast.expr], value_node: ast.expr, scope: Scope) -> None:
        if len(targets) == 1 and _same_shape(targets[0], value_node):
            assert isinstance(targets[0], (ast.Tuple, ast.List)) and isinstance(value_node, (ast.Tuple, ast.List))
            for target, element in zip(targets[0].elts, value_node.elts):
                self._bind(target, self._ev(element, scope), scope)
            return
        value = self._ev(value_node, scope)
        for target in targets:
            self._bind(target, value, scope)

    def _bind(self, target: ast.expr, value: Value, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            self.new.bind(self._store_scope(scope, target.id), target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, UNKNOWN if isinstance(element, ast.Starred) else self._iterate(value), scope)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, UNKNOWN, scope)
        elif isinstance(target, ast.Attribute):
            self._bind_attribute(self._ev(target.value, scope), target.attr, value)
        elif isinstance(target, ast.Subscript):
            self._ev(target.value, scope)
            self._ev(target.slice, scope)
            self._escape([value])  # stored where the analysis does not look

    def _bind_attribute(self, receiver: Value, name: str, value: Value) -> None:
        if isinstance(receiver, (Instance, ClassRef)):
            self.new.attrs[receiver.cls, name] = join(self.new.attrs.get((receiver.cls, name), NOTHING), value)
        elif isinstance(receiver, ModuleRef) and receiver.name in self.program.modules:
            module = self.program.modules[receiver.name]
            if name in module.scope.locals:
                self.new.bind(module.scope, name, value)
        elif receiver != NOTHING:
            self._escape([value])

    def _define_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        function = self.program.functions[node]
        for decorator in node.decorator_list:
            self._ev(decorator, scope)
        self._defaults(node.args, scope)
        # Decorators are assumed to wrap the function and pass its arguments through (cache,
        # retry, tracing): calling the decorated name is a call of the function.
        self.new.bind(scope, node.name, Functions(frozenset({function})))
        if set(function.decorators) - _PASS_THROUGH_DECORATORS:
            # Handed to its decorator (a route, a registered callback): it may run whenever the
            # code that defines it has run.
            self._runs(function)
        self._as_owner(function, lambda: self._block(node.body, function.scope))

    def _defaults(self, arguments: ast.arguments, scope: Scope) -> None:
        for default in arguments.defaults + [d for d in arguments.kw_defaults if d is not None]:
            self._ev(default, scope)

    def _define_class(self, node: ast.ClassDef, scope: Scope) -> None:
        cls = self.program.classes[node]
        for child in node.bases + [k.value for k in node.keywords] + node.decorator_list:
            self._ev(child, scope)
        self.new.bind(scope, node.name, ClassRef(cls))
        self._block(node.body, cls.scope)


def _same_shape(target: ast.expr, value: ast.expr) -> bool:
    return (
        isinstance(target, (ast.Tuple, ast.List))
        and isinstance(value, (ast.Tuple, ast.List))
        and len(target.elts) == len(value.elts)
        and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)
    )


def _pattern_names(pattern: ast.pattern) -> Iterator[str]:
    for node in ast.walk(pattern):
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if isinstance(name, str):
            yield name
