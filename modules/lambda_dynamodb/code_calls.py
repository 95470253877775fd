"""Which DynamoDB API calls a Lambda function's code can make, found by reading it (never running it).

Approach: every ``.py`` file of the source folder is parsed with :mod:`ast` and interpreted
abstractly. Values are tracked by *kind*: the boto3 module, a session, a DynamoDB client,
service resource, ``Table``, batch writer, paginator or waiter; the code's own functions,
classes, instances and modules; string constants. The interpretation is flow-insensitive: a
name's kind is the join of everything assigned to it in its scope, a parameter's the join of
what every call site in the analysed files passes, a function's result the join of its
``return`` values. Rounds over the whole program grow these to a fixed point (first assuming
nothing of functions no call reaches yet, then treating their parameters as unknown); a last
round records each method call on a DynamoDB kind as the operation the SDK models say it
sends, with the IAM actions that authorize it (both from :mod:`.dynamodb_operations`).

Limits: what the analysis cannot follow is reported as :class:`Unresolved`, never guessed:
DynamoDB method names called on values passed in from outside the folder, method names in
variables, transactions and PartiQL statements that are not literal, calls through a session
with its own credentials. Decorators are assumed to pass a function's arguments and result
through. Not modelled (so not seen): values put into containers after they are built
(``list.append``), ``super()``, ``functools.partial``, ``setattr``, aioboto3 and other
wrappers, code loaded dynamically (``importlib``, ``exec``). A name reassigned to values of
different kinds is unknown rather than split by control flow. A copy of boto3 or botocore
bundled in the folder is the SDK: modelled, not read.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import cache, cached_property
from pathlib import Path

from . import dynamodb_operations as ops
from .code_package import source_files

# --- the result ------------------------------------------------------------------------------


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
    source: str
    files: tuple[str, ...]
    calls: tuple[CodeCall, ...]
    unresolved: tuple[Unresolved, ...]

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({action for call in self.calls for action in call.actions}))


def analyse(source_dir: Path) -> CodeAnalysis:
    """Every DynamoDB call the ``.py`` files under ``source_dir`` can make (read, never imported)."""
    files = [path for path in source_files(source_dir) if path.suffix == ".py"]
    program = _Program(source_dir, files)
    calls, unresolved = _Interpreter(program).run()
    return CodeAnalysis(
        source=f"{source_dir.name}/",
        files=tuple(sorted(program.paths)),
        calls=tuple(sorted(calls, key=_call_order)),
        unresolved=tuple(sorted(set(unresolved) | set(program.parse_errors), key=lambda u: (u.path, u.line, u.reason))),
    )


def _call_order(call: CodeCall) -> tuple[object, ...]:
    return (call.path, call.line, call.method, call.operation, call.table or "", call.index or "", call.actions)


# --- what the SDK models say -----------------------------------------------------------------

#: Keywords (and their positions) that give a session or client credentials of its own.
_CREDENTIALS = {"aws_access_key_id": (0, 6), "aws_secret_access_key": (1, 7), "aws_session_token": (2, 8), "profile_name": (5, None)}
#: boto3 collection methods (``resource.tables.all()``): each sends the collection's list request.
_COLLECTION_METHODS = frozenset({"all", "filter", "limit", "page_size", "pages", "iterator"})
#: Method names too common on other objects to suspect a DynamoDB call on an unknown receiver.
_GENERIC_NAMES = frozenset({"update", "delete", "load", "reload", "get", "close", "wait", "paginate", "all", "filter"})
#: Decorators that make a method an attribute: reading it runs the method.
_PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
#: The SDK's own packages: what the analysis models, even when a copy is bundled with the code.
_SDK_PACKAGES = frozenset({"boto3", "botocore"})
_NO_CALLERS = (
    "no call the analysis can follow passes it (it is called from outside the analysed files, or through a value it cannot follow)"
)
_DIFFERENT_CALLERS = "its callers pass values of different or unknown kinds"
_DYNAMIC = "the method name is in a variable: which DynamoDB call it makes cannot be read"


@cache
def _suspect_names() -> frozenset[str]:
    names = set(ops.client_operations()) | set(ops.table_operations()) | set(ops.service_resource_operations())
    return frozenset(names | {"batch_writer"}) - _GENERIC_NAMES


@cache
def _waiter_operations() -> dict[str, str]:
    from botocore import xform_name

    return {xform_name(name): operation for name, operation in ops.service_model_waiters().items()}


@cache
def _resource_subresources() -> frozenset[str]:
    return frozenset(ops.resource_model()["service"].get("has", {}))


@cache
def _resource_collections() -> dict[str, str]:
    from botocore import xform_name

    many = ops.resource_model()["service"].get("hasMany", {})
    return {xform_name(name): spec["request"]["operation"] for name, spec in many.items()}


@cache
def _table_identifiers() -> frozenset[str]:
    from botocore import xform_name

    return frozenset(xform_name(i["name"]) for i in ops.resource_model()["resources"]["Table"]["identifiers"])


@cache
def _takes_index(operation: str) -> bool:
    return "IndexName" in ops.service_model().operation_model(operation).input_shape.members


# --- abstract values -------------------------------------------------------------------------


class _Kind(Enum):
    BOTO3 = "boto3"
    SESSION_MODULE = "boto3.session"
    SESSION = "session"
    BOTOCORE = "botocore"
    BOTOCORE_SESSION_MODULE = "botocore.session"
    BOTOCORE_SESSION = "botocore session"
    CLIENT = "client"
    RESOURCE = "resource"
    TABLE = "table"
    TABLES = "tables"
    META = "meta"
    BATCH_WRITER = "batch writer"
    PAGINATOR = "paginator"
    WAITER = "waiter"


_DYNAMODB_KINDS = frozenset(_Kind) - {_Kind.BOTO3, _Kind.SESSION_MODULE, _Kind.SESSION}
_DYNAMODB_KINDS -= {_Kind.BOTOCORE, _Kind.BOTOCORE_SESSION_MODULE, _Kind.BOTOCORE_SESSION}


class _Value:
    """What the analysis knows about a value."""


@dataclass(frozen=True)
class _Unknown(_Value):
    """Could be anything (top)."""


@dataclass(frozen=True)
class _Nothing(_Value):
    """No value yet, or ``None`` (bottom: joins to the other side)."""


@dataclass(frozen=True)
class _Other(_Value):
    """Known not to be a DynamoDB object: a response, a number, another service's client."""


_UNKNOWN: _Value = _Unknown()
_NOTHING: _Value = _Nothing()
_OTHER: _Value = _Other()


@dataclass(frozen=True)
class _Str(_Value):
    text: str


@dataclass(frozen=True)
class _Aws(_Value):
    kind: _Kind
    own_credentials: bool = False
    detail: str | None = None  # a Table's literal name; the operation of a paginator, waiter or collection


@dataclass(frozen=True)
class _BoundAttr(_Value):
    """A factory method taken without calling it (``client = boto3.client``)."""

    receiver: _Aws
    name: str


@dataclass(frozen=True)
class _Functions(_Value):
    functions: frozenset[_Function]
    bound: _Value | None = None  # the instance (or class) a method is bound to


@dataclass(frozen=True)
class _ClassRef(_Value):
    cls: _Class


@dataclass(frozen=True)
class _Instance(_Value):
    cls: _Class


@dataclass(frozen=True)
class _ModuleRef(_Value):
    name: str


@dataclass(frozen=True)
class _Container(_Value):
    """A list, tuple, set or dict built from values worth tracking (e.g. a dispatch table)."""

    element: _Value  # an item (a dict's value)
    mapping: bool = False  # a dict: iterating it gives its keys, not its values


def _join(a: _Value, b: _Value) -> _Value:
    if a == b or b == _NOTHING:
        return a
    if a == _NOTHING:
        return b
    if isinstance(a, _Functions) and isinstance(b, _Functions) and a.bound == b.bound:
        return _Functions(a.functions | b.functions, a.bound)
    if isinstance(a, _Container) and isinstance(b, _Container) and a.mapping == b.mapping:
        return _container(_join(a.element, b.element), a.mapping)
    if isinstance(a, _Aws) and isinstance(b, _Aws) and a.kind == b.kind == _Kind.TABLE and a.own_credentials == b.own_credentials:
        return _Aws(_Kind.TABLE, a.own_credentials)  # tables of different names: the name is not one literal
    if isinstance(a, (_Str, _Other)) and isinstance(b, (_Str, _Other)):
        return _OTHER
    return _UNKNOWN


def _container(element: _Value, mapping: bool = False) -> _Value:
    # Nesting is capped so that self-referencing containers reach a fixed point.
    if isinstance(element, _Container) and isinstance(element.element, _Container):
        return _Container(_UNKNOWN, mapping)
    return _Container(element, mapping)


def _plain(*values: _Value) -> _Value:
    """The result of an operation on plain values (strings, numbers): nothing if one is nothing.

    Every operation on values must be monotone (a more known input never gives a less known
    output), or the iteration to a fixed point can oscillate.
    """
    if _NOTHING in values:
        return _NOTHING
    return _OTHER if all(isinstance(v, (_Str, _Other)) for v in values) else _UNKNOWN


# --- the program: files, scopes, functions, classes ------------------------------------------


@dataclass(eq=False)
class _Module:
    name: str
    path: str
    package: str
    tree: ast.Module
    scope: _Scope = field(init=False)
    imports: set[str] = field(default_factory=set)  # analysed modules it imports
    star_imports: list[str] = field(default_factory=list)
    imports_boto: bool = False
    boto_aware: bool = False


@dataclass(eq=False)
class _Scope:
    kind: str  # module, function, class, comprehension
    module: _Module
    parent: _Scope | None
    locals: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    function: _Function | None = None


@dataclass(eq=False)
class _Function:
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    scope: _Scope
    owner: _Class | None = None
    decorators: tuple[str, ...] = ()
    generator: bool = False

    @property
    def is_static(self) -> bool:
        return "staticmethod" in self.decorators

    @property
    def is_classmethod(self) -> bool:
        return "classmethod" in self.decorators

    @property
    def is_property(self) -> bool:
        return bool(_PROPERTY_DECORATORS & set(self.decorators))

    @cached_property
    def positional(self) -> list[str]:
        arguments = self.node.args
        return [a.arg for a in arguments.posonlyargs + arguments.args]

    @cached_property
    def parameters(self) -> list[str]:
        """The parameters call sites can pass (not ``*args`` and ``**kwargs``)."""
        return self.positional + [a.arg for a in self.node.args.kwonlyargs]

    @property
    def self_param(self) -> str | None:
        """The parameter Python binds to the instance (or class): never taken from call sites."""
        if self.owner is None or self.is_static or not self.positional or isinstance(self.node, ast.Lambda):
            return None
        return self.positional[0]

    def self_value(self) -> _Value:
        assert self.owner is not None
        return _ClassRef(self.owner) if self.is_classmethod else _Instance(self.owner)


@dataclass(eq=False)
class _Class:
    name: str
    node: ast.ClassDef
    scope: _Scope
    methods: dict[str, _Function] = field(default_factory=dict)
    dataclass: bool = False
    fields: list[str] = field(default_factory=list)


class _Program:
    """The parsed files and the scopes, functions and classes in them."""

    def __init__(self, source_dir: Path, files: list[Path]) -> None:
        self.modules: dict[str, _Module] = {}
        self.all_files: list[_Module] = []
        self.parse_errors: list[Unresolved] = []
        self.scopes: dict[ast.AST, _Scope] = {}
        self.functions: dict[ast.AST, _Function] = {}
        self.classes: dict[ast.AST, _Class] = {}
        self.class_of_scope: dict[_Scope, _Class] = {}
        self.paths: list[str] = []
        for path in files:
            self._load(source_dir, path)
        self.packages = {".".join(name.split(".")[:i]) for name in self.modules for i in range(1, name.count(".") + 1)}
        for module in self.all_files:
            _Binder(self, module).visit(module.tree)
        self._spread_boto_awareness()

    def _load(self, source_dir: Path, path: Path) -> None:
        relative = path.relative_to(source_dir)
        display = f"{source_dir.name}/{relative.as_posix()}"
        parts = list(relative.with_suffix("").parts)
        if parts[0] in _SDK_PACKAGES:
            return  # a copy of the SDK bundled with the code: modelled, not read
        self.paths.append(display)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        package = name if is_package else ".".join(parts[:-1])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. invalid escape sequences: not ours to report
                tree = ast.parse(path.read_bytes(), filename=display)
        except SyntaxError as error:
            self.parse_errors.append(Unresolved(display, error.lineno or 1, f"cannot be parsed: {error.msg}"))
            return
        except ValueError as error:  # null bytes, undecodable source
            self.parse_errors.append(Unresolved(display, 1, f"cannot be parsed: {error}"))
            return
        module = _Module(name, display, package, tree)
        module.scope = _Scope("module", module, None)
        self.all_files.append(module)
        if name:
            self.modules[name] = module

    def is_module(self, name: str) -> bool:
        """An analysed module, or a folder of them (a namespace package)."""
        return name in self.modules or name in self.packages

    def _spread_boto_awareness(self) -> None:
        # A file that imports one that uses boto3 may be handed its objects.
        for module in self.all_files:
            module.boto_aware = module.imports_boto
        changed = True
        while changed:
            changed = False
            for module in self.all_files:
                if not module.boto_aware and any(self.modules[n].boto_aware for n in module.imports if n in self.modules):
                    module.boto_aware = changed = True


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        return _decorator_name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_generator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    def walk(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
        for child in nodes:
            yield child
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                yield from walk(ast.iter_child_nodes(child))

    return any(isinstance(child, (ast.Yield, ast.YieldFrom)) for child in walk(node.body))


def _resolve_import(module: _Module, level: int, name: str | None) -> str | None:
    """The absolute name of ``from <level dots><name> import ...`` in ``module``."""
    if level == 0:
        return name
    parts = module.package.split(".") if module.package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([name] if name else [])) or None


class _Binder(ast.NodeVisitor):
    """Which names each scope binds (Python's scoping rules), and the functions and classes."""

    def __init__(self, program: _Program, module: _Module) -> None:
        self.program = program
        self.module = module
        self.stack = [module.scope]

    def bind(self, name: str, scope: _Scope | None = None) -> None:
        scope = scope or self.stack[-1]
        if name in scope.globals:
            self.module.scope.locals.add(name)
        elif name not in scope.nonlocals:
            scope.locals.add(name)

    def _new_scope(self, node: ast.AST, kind: str) -> _Scope:
        scope = _Scope(kind, self.module, self.stack[-1])
        self.program.scopes[node] = scope
        return scope

    def _arguments(self, arguments: ast.arguments) -> None:
        for default in arguments.defaults + [d for d in arguments.kw_defaults if d is not None]:
            self.visit(default)

    def _bind_parameters(self, arguments: ast.arguments) -> None:
        every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        for argument in every:
            self.bind(argument.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.bind(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._arguments(node.args)
        parent = self.stack[-1]
        owner = self.program.class_of_scope.get(parent)
        scope = self._new_scope(node, "function")
        decorators = tuple(_decorator_name(d) for d in node.decorator_list)
        function = _Function(node.name, node, scope, owner, decorators, _is_generator(node))
        if owner is not None:
            function.name = f"{owner.name}.{node.name}"
            if not {"setter", "deleter"} & set(decorators):
                owner.methods[node.name] = function
        scope.function = function
        self.program.functions[node] = function
        self.stack.append(scope)
        self._bind_parameters(node.args)
        for statement in node.body:
            self.visit(statement)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._arguments(node.args)
        scope = self._new_scope(node, "function")
        scope.function = _Function("<lambda>", node, scope)
        self.program.functions[node] = scope.function
        self.stack.append(scope)
        self._bind_parameters(node.args)
        self.visit(node.body)
        self.stack.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bind(node.name)
        for child in node.bases + [k.value for k in node.keywords] + node.decorator_list:
            self.visit(child)
        scope = self._new_scope(node, "class")
        cls = _Class(node.name, node, scope, dataclass="dataclass" in {_decorator_name(d) for d in node.decorator_list})
        cls.fields = [
            s.target.id
            for s in node.body
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and "ClassVar" not in ast.unparse(s.annotation)
        ]
        self.program.classes[node] = cls
        self.program.class_of_scope[scope] = cls
        self.stack.append(scope)
        for statement in node.body:
            self.visit(statement)
        self.stack.pop()

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        self.stack.append(self._new_scope(node, "comprehension"))
        self.generic_visit(node)
        self.stack.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension  # type: ignore[assignment]

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.bind(node.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.bind(node.target.id, _walrus_scope(self.stack[-1]))
        self.visit(node.value)

    def visit_Global(self, node: ast.Global) -> None:
        self.stack[-1].globals.update(node.names)
        self.module.scope.locals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.stack[-1].nonlocals.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.bind(alias.asname or alias.name.split(".")[0])
            self._note_import(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = _resolve_import(self.module, node.level, node.module)
        for alias in node.names:
            if alias.name == "*":
                if target and target in self.program.modules:
                    self.module.star_imports.append(target)
            else:
                self.bind(alias.asname or alias.name)
                if target and self.program.is_module(f"{target}.{alias.name}"):
                    self.module.imports.add(f"{target}.{alias.name}")
        if target:
            self._note_import(target)

    def _note_import(self, name: str) -> None:
        if name.split(".")[0] in _SDK_PACKAGES:
            self.module.imports_boto = True
        elif self.program.is_module(name):
            parts = name.split(".")
            # ``import a.b.c`` runs a, a.b and a.b.c
            self.module.imports.update(".".join(parts[: i + 1]) for i in range(len(parts)))

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bind(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.bind(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.bind(node.rest)
        self.generic_visit(node)


def _walrus_scope(scope: _Scope) -> _Scope:
    while scope.kind == "comprehension" and scope.parent is not None:
        scope = scope.parent
    return scope


# --- the interpretation ----------------------------------------------------------------------


@dataclass
class _State:
    """What the analysis knows: the value of every name, function result and class attribute."""

    names: dict[tuple[_Scope, str], _Value] = field(default_factory=dict)
    returns: dict[_Function, _Value] = field(default_factory=dict)
    attrs: dict[tuple[_Class, str], _Value] = field(default_factory=dict)
    called: set[_Function] = field(default_factory=set)
    escaped: set[_Function] = field(default_factory=set)

    def bind(self, scope: _Scope, name: str, value: _Value) -> None:
        self.names[scope, name] = _join(self.names.get((scope, name), _NOTHING), value)


@dataclass
class _Args:
    positional: list[_Value] = field(default_factory=list)
    positional_nodes: list[ast.expr] = field(default_factory=list)
    starred: bool = False  # a *sequence: the positions after the listed ones are unknown
    keywords: dict[str, _Value] = field(default_factory=dict)
    nodes: dict[str, ast.expr] = field(default_factory=dict)
    double_star: bool = False  # a **mapping that is not a literal dict

    def values(self) -> list[_Value]:
        return self.positional + list(self.keywords.values())

    def text(self, name: str, position: int | None = None) -> str | None:
        value = self.get(name, position)
        return value.text if isinstance(value, _Str) else None

    def get(self, name: str, position: int | None = None) -> _Value:
        if position is not None and position < len(self.positional):
            return self.positional[position]
        return self.keywords.get(name, _NOTHING)


@dataclass(frozen=True)
class _Site:
    """Where a method is taken: its line, and the receiver's text for messages."""

    module: _Module
    node: ast.AST
    scope: _Scope
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


_MAX_ROUNDS = 100
_PLACEHOLDER = "_code_calls_placeholder_"


class _Interpreter:
    def __init__(self, program: _Program) -> None:
        self.program = program
        self.old = _State()
        self.new = _State()
        self.recording = False
        self.optimistic = False
        self.records: dict[tuple[object, ...], CodeCall | Unresolved] = {}
        self.bases: dict[_Class, list[_Class]] = {}

    def run(self) -> tuple[list[CodeCall], list[Unresolved]]:
        # First optimistic (a function no call reaches yet has parameters of no value), so that
        # values rise from nothing and a recursive call cannot keep an early "unknown" alive;
        # then pessimistic: the parameters of a function no call reaches are unknown.
        state = self._initial()
        for optimistic in (True, False):
            self.optimistic = optimistic
            state = self._fixed_point(state)
        self.recording = True
        self._round(state)
        calls = [r for r in self.records.values() if isinstance(r, CodeCall)]
        return calls, [r for r in self.records.values() if isinstance(r, Unresolved)]

    def _fixed_point(self, state: _State) -> _State:
        for _ in range(_MAX_ROUNDS):
            after = self._round(state)
            if after == state:
                break
            state = after
        return state

    def _initial(self) -> _State:
        state = _State()
        for function in self.program.functions.values():
            if function.self_param:
                state.names[function.scope, function.self_param] = function.self_value()
        return state

    def _round(self, old: _State) -> _State:
        # Values only ever grow (each round joins onto the last), and every operation is
        # monotone, so the rounds reach a fixed point; reading the values of this round as they
        # grow gets there sooner. Which functions are called is counted afresh each round.
        self.old, self.bases = old, {}
        self.new = _State(dict(old.names), dict(old.returns), dict(old.attrs), set(), set(old.escaped))
        for module in self.program.all_files:
            self._block(module.tree.body, module.scope)
        for function in self.program.functions.values():
            self._finish_parameters(function)
        return self.new

    def _finish_parameters(self, function: _Function) -> None:
        arguments = function.node.args
        names = function.parameters
        uncalled = function not in self.new.called and not self.optimistic
        if uncalled or function in self.new.escaped:
            for name in names:
                if name != function.self_param:
                    # Called from outside the analysed files (or not at all): it could be anything.
                    self.new.bind(function.scope, name, _UNKNOWN)
        for extra in (arguments.vararg, arguments.kwarg):
            if extra is not None:
                self.new.bind(function.scope, extra.arg, _UNKNOWN)
        if function.self_param:
            self.new.names[function.scope, function.self_param] = function.self_value()

    # --- recording ---------------------------------------------------------------------------

    def _call(self, site: _Site, method: str, operation: str, actions: tuple[str, ...], table: str | None, index: str | None) -> None:
        if self.recording:
            call = CodeCall(site.module.path, site.line, method, operation, actions, table, index)
            self.records[(*site.key, call)] = call

    def _unresolved(self, site: _Site, reason: str) -> None:
        if self.recording:
            entry = Unresolved(site.module.path, site.line, reason)
            self.records[(*site.key, entry)] = entry

    # --- statements --------------------------------------------------------------------------

    def _block(self, statements: Iterable[ast.stmt], scope: _Scope) -> None:
        for statement in statements:
            self._statement(statement, scope)

    def _statement(self, node: ast.stmt, scope: _Scope) -> None:  # noqa: C901 - one branch per statement kind
        if isinstance(node, ast.Assign):
            self._assign(node.targets, node.value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._assign([node.target], node.value, scope)
        elif isinstance(node, ast.AugAssign):
            value = self._ev(node.value, scope)
            current = self._ev(node.target, scope)
            self._bind(node.target, _plain(value, current), scope)
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
            value = self._ev(node.value, scope) if node.value is not None else _NOTHING
            self._returns(scope, value)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            self._block(node.body, scope)
            for handler in node.handlers:
                if handler.type is not None:
                    self._ev(handler.type, scope)
                if handler.name:
                    self.new.bind(self._store_scope(scope, handler.name), handler.name, _OTHER)
                self._block(handler.body, scope)
            self._block(node.orelse + node.finalbody, scope)
        elif isinstance(node, ast.Match):
            self._ev(node.subject, scope)
            for case in node.cases:
                for name in _pattern_names(case.pattern):
                    self.new.bind(self._store_scope(scope, name), name, _UNKNOWN)
                if case.guard is not None:
                    self._ev(case.guard, scope)
                self._block(case.body, scope)
        else:  # if, while, expression, raise, assert, delete, pass, global...
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr) and not isinstance(getattr(child, "ctx", None), ast.Del):
                    self._ev(child, scope)
                elif isinstance(child, ast.stmt):
                    self._statement(child, scope)

    def _returns(self, scope: _Scope, value: _Value) -> None:
        function = scope.function
        if function is not None and not function.generator:
            self.new.returns[function] = _join(self.new.returns.get(function, _NOTHING), value)

    def _assign(self, targets: list[ast.expr], value_node: ast.expr, scope: _Scope) -> None:
        if len(targets) == 1 and _same_shape(targets[0], value_node):
            assert isinstance(targets[0], (ast.Tuple, ast.List)) and isinstance(value_node, (ast.Tuple, ast.List))
            for target, element in zip(targets[0].elts, value_node.elts):
                self._bind(target, self._ev(element, scope), scope)
            return
        value = self._ev(value_node, scope)
        for target in targets:
            self._bind(target, value, scope)

    def _bind(self, target: ast.expr, value: _Value, scope: _Scope) -> None:
        if isinstance(target, ast.Name):
            self.new.bind(self._store_scope(scope, target.id), target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, _UNKNOWN if isinstance(element, ast.Starred) else self._iterate(value), scope)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, _UNKNOWN, scope)
        elif isinstance(target, ast.Attribute):
            self._bind_attribute(self._ev(target.value, scope), target.attr, value)
        elif isinstance(target, ast.Subscript):
            self._ev(target.value, scope)
            self._ev(target.slice, scope)
            self._escape([value])  # stored where the analysis does not look

    def _bind_attribute(self, receiver: _Value, name: str, value: _Value) -> None:
        if isinstance(receiver, (_Instance, _ClassRef)):
            self.new.attrs[receiver.cls, name] = _join(self.new.attrs.get((receiver.cls, name), _NOTHING), value)
        elif isinstance(receiver, _ModuleRef) and receiver.name in self.program.modules:
            module = self.program.modules[receiver.name]
            if name in module.scope.locals:
                self.new.bind(module.scope, name, value)
        elif receiver != _NOTHING:
            self._escape([value])

    def _store_scope(self, scope: _Scope, name: str) -> _Scope:
        if name in scope.globals:
            return scope.module.scope
        if name in scope.nonlocals:
            outer = scope.parent
            while outer is not None and (outer.kind != "function" or name not in outer.locals):
                outer = outer.parent
            return outer or scope.module.scope
        return scope

    def _define_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        function = self.program.functions[node]
        for decorator in node.decorator_list:
            self._ev(decorator, scope)
        self._defaults(node.args, scope)
        # Decorators are assumed to wrap the function and pass its arguments through (cache,
        # retry, tracing): calling the decorated name is a call of the function.
        self.new.bind(scope, node.name, _Functions(frozenset({function})))
        self._block(node.body, function.scope)

    def _defaults(self, arguments: ast.arguments, scope: _Scope) -> None:
        for default in arguments.defaults + [d for d in arguments.kw_defaults if d is not None]:
            self._ev(default, scope)

    def _define_class(self, node: ast.ClassDef, scope: _Scope) -> None:
        cls = self.program.classes[node]
        for child in node.bases + [k.value for k in node.keywords] + node.decorator_list:
            self._ev(child, scope)
        self.new.bind(scope, node.name, _ClassRef(cls))
        self._block(node.body, cls.scope)

    def _import(self, node: ast.Import, scope: _Scope) -> None:
        for alias in node.names:
            if alias.asname:
                self.new.bind(self._store_scope(scope, alias.asname), alias.asname, self._module_value(alias.name))
            else:
                first = alias.name.split(".")[0]
                self.new.bind(self._store_scope(scope, first), first, self._module_value(first))

    def _import_from(self, node: ast.ImportFrom, scope: _Scope) -> None:
        source = _resolve_import(scope.module, node.level, node.module)
        for alias in node.names:
            if alias.name == "*":
                continue
            name = alias.asname or alias.name
            value = _UNKNOWN if source is None else self._imported(source, alias.name, scope, node)
            self.new.bind(self._store_scope(scope, name), name, value)

    def _imported(self, source: str, name: str, scope: _Scope, node: ast.AST) -> _Value:
        if self.program.is_module(f"{source}.{name}"):
            return _ModuleRef(f"{source}.{name}")
        module = self._module_value(source)
        if isinstance(module, _ModuleRef):
            return self._module_member(module.name, name)
        if isinstance(module, _Aws):
            return self._aws_member(module, name, _Site(scope.module, node, scope), None)
        return module

    def _module_value(self, name: str) -> _Value:
        if self.program.is_module(name):
            return _ModuleRef(name)
        known = {"boto3": _Kind.BOTO3, "boto3.session": _Kind.SESSION_MODULE, "botocore": _Kind.BOTOCORE}
        known["botocore.session"] = _Kind.BOTOCORE_SESSION_MODULE
        if name in known:
            return _Aws(known[name])
        return _OTHER if name.split(".")[0] in _SDK_PACKAGES else _UNKNOWN

    # --- names -------------------------------------------------------------------------------

    def _lookup(self, scope: _Scope, name: str) -> _Value:
        current: _Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent  # class bodies are not visible from their methods
                continue
            if name in current.globals:
                return self._global(current.module, name, set())
            if name in current.locals and name not in current.nonlocals:
                if current.kind == "module":
                    return self._global(current.module, name, set())
                return self.new.names.get((current, name), _NOTHING)
            current, first = current.parent, False
        return self._global(scope.module, name, set())  # from a star import, or a builtin (unknown)

    def _global(self, module: _Module, name: str, seen: set[str]) -> _Value:
        if name in module.scope.locals:
            return self.new.names.get((module.scope, name), _NOTHING)
        for source in module.star_imports:
            other = self.program.modules[source]
            if source not in seen and not name.startswith("_"):
                value = self._global(other, name, seen | {source})
                if value != _UNKNOWN:
                    return value
        return _UNKNOWN

    def _is_builtin(self, scope: _Scope, name: str) -> bool:
        current: _Scope | None = scope
        while current is not None:
            if name in current.locals:
                return False
            current = current.parent
        return not any(name in self.program.modules[s].scope.locals for s in scope.module.star_imports)

    def _module_member(self, module_name: str, name: str) -> _Value:
        if self.program.is_module(f"{module_name}.{name}"):
            return _ModuleRef(f"{module_name}.{name}")
        module = self.program.modules.get(module_name)
        return _UNKNOWN if module is None else self._global(module, name, set())

    # --- expressions -------------------------------------------------------------------------

    def _ev(self, node: ast.expr, scope: _Scope) -> _Value:  # noqa: C901 - one branch per expression kind
        if isinstance(node, ast.Constant):
            return _Str(node.value) if isinstance(node.value, str) else _NOTHING if node.value is None else _OTHER
        if isinstance(node, ast.Name):
            return self._lookup(scope, node.id)
        if isinstance(node, ast.Attribute):
            receiver = self._ev(node.value, scope)
            return self._member(receiver, node.attr, _Site(scope.module, node, scope, node.value), None)
        if isinstance(node, ast.Call):
            return self._ev_call(node, scope)
        if isinstance(node, ast.JoinedStr):
            return self._joined(node, scope)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return self._collection([self._ev(e, scope) for e in node.elts])
        if isinstance(node, ast.Dict):
            for key in node.keys:  # evaluated for the calls they make; a dict's values are what is tracked
                if key is not None:
                    self._ev(key, scope)
            values = [self._ev(v, scope) if k is not None else self._item(self._ev(v, scope)) for k, v in zip(node.keys, node.values)]
            return self._collection(values, mapping=True)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self._comprehension(node, scope)
        if isinstance(node, ast.Subscript):
            value = self._ev(node.value, scope)
            self._ev(node.slice, scope)
            return self._item(value)
        if isinstance(node, ast.BoolOp):
            result = _NOTHING
            for operand in node.values:
                result = _join(result, self._ev(operand, scope))
            return result
        if isinstance(node, ast.IfExp):
            self._ev(node.test, scope)
            return _join(self._ev(node.body, scope), self._ev(node.orelse, scope))
        if isinstance(node, ast.NamedExpr):
            value = self._ev(node.value, scope)
            target_scope = self._store_scope(_walrus_scope(scope), node.target.id)
            self.new.bind(target_scope, node.target.id, value)
            return value
        if isinstance(node, ast.Await):
            return self._ev(node.value, scope)
        if isinstance(node, ast.Starred):
            return self._ev(node.value, scope)
        if isinstance(node, ast.Lambda):
            return self._lambda(node, scope)
        if isinstance(node, ast.BinOp):
            return self._binop(node, scope)
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            value = self._ev(node.value, scope) if node.value is not None else _NOTHING
            if scope.function is not None and scope.function.generator:
                item = self._iterate(value) if isinstance(node, ast.YieldFrom) else value
                self.new.returns[scope.function] = _join(self.new.returns.get(scope.function, _NOTHING), item)
            return _UNKNOWN
        for child in ast.iter_child_nodes(node):  # comparisons, unary operators, slices...
            if isinstance(child, ast.expr):
                self._ev(child, scope)
        return _OTHER if isinstance(node, (ast.Compare, ast.UnaryOp)) else _UNKNOWN

    def _collection(self, values: list[_Value], mapping: bool = False) -> _Value:
        element = _NOTHING
        for value in values:
            element = _join(element, value)
        return _container(element, mapping)

    def _binop(self, node: ast.BinOp, scope: _Scope) -> _Value:
        left, right = self._ev(node.left, scope), self._ev(node.right, scope)
        if isinstance(node.op, ast.Add) and isinstance(left, _Str) and isinstance(right, _Str):
            return _Str(left.text + right.text)
        if isinstance(left, _Container) and isinstance(right, _Container):
            return _join(left, right)
        return _plain(left, right)

    def _joined(self, node: ast.JoinedStr, scope: _Scope) -> _Value:
        parts = [self._ev(part.value, scope) for part in node.values if isinstance(part, ast.FormattedValue)]
        if _NOTHING in parts:
            return _NOTHING
        text = self._template(node, scope)
        return _OTHER if text is None or _PLACEHOLDER in text else _Str(text)

    def _template(self, node: ast.expr, scope: _Scope) -> str | None:
        """A string's text, with a placeholder for each f-string part that is not a constant."""
        if isinstance(node, ast.JoinedStr):
            parts = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    parts.append(str(part.value))
                else:
                    assert isinstance(part, ast.FormattedValue)
                    value = self._ev(part.value, scope)
                    if part.format_spec is not None:
                        self._ev(part.format_spec, scope)
                    plain = isinstance(value, _Str) and part.conversion == -1 and part.format_spec is None
                    parts.append(value.text if plain and isinstance(value, _Str) else _PLACEHOLDER)
            return "".join(parts)
        value = self._ev(node, scope)
        return value.text if isinstance(value, _Str) else None

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: _Scope) -> _Value:
        inner = self.program.scopes[node]
        for generator in node.generators:
            self._bind(generator.target, self._iterate(self._ev(generator.iter, inner)), inner)
            for condition in generator.ifs:
                self._ev(condition, inner)
        if isinstance(node, ast.DictComp):
            self._ev(node.key, inner)
            element = self._ev(node.value, inner)
        else:
            element = self._ev(node.elt, inner)
        return _container(element, isinstance(node, ast.DictComp))

    def _lambda(self, node: ast.Lambda, scope: _Scope) -> _Value:
        function = self.program.functions[node]
        self._defaults(node.args, scope)
        self._returns(function.scope, self._ev(node.body, function.scope))
        return _Functions(frozenset({function}))

    def _item(self, value: _Value) -> _Value:
        """``value[key]``."""
        if isinstance(value, _Container):
            return value.element
        return self._iterate(value)

    def _iterate(self, value: _Value) -> _Value:
        """What iterating (or unpacking) ``value`` gives."""
        if isinstance(value, _Container):
            return _OTHER if value.mapping else value.element
        if isinstance(value, _Aws) and value.kind == _Kind.TABLES:
            return _Aws(_Kind.TABLE, value.own_credentials)
        if isinstance(value, (_Str, _Other, _Nothing)):
            return _OTHER if value != _NOTHING else _NOTHING
        return _UNKNOWN

    def _enter(self, value: _Value) -> _Value:
        """What ``with value as name`` binds."""
        if isinstance(value, _Aws):
            return value
        if isinstance(value, _Container):  # a @contextmanager generator: what it yields
            return value.element
        if isinstance(value, _Instance):
            return self._call_value(self._class_member(value, "__enter__"), _Args(), None)
        return _plain(value)

    # --- calls -------------------------------------------------------------------------------

    def _args(self, node: ast.Call, scope: _Scope) -> _Args:
        args = _Args()
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                self._escape([self._ev(argument.value, scope)])
                args.starred = True
            elif not args.starred:
                args.positional.append(self._ev(argument, scope))
                args.positional_nodes.append(argument)
            else:
                self._escape([self._ev(argument, scope)])
        for keyword in node.keywords:
            if keyword.arg is not None:
                args.keywords[keyword.arg] = self._ev(keyword.value, scope)
                args.nodes[keyword.arg] = keyword.value
            elif isinstance(keyword.value, ast.Dict) and all(_is_text(k) for k in keyword.value.keys):
                for key, value in zip(keyword.value.keys, keyword.value.values):
                    assert isinstance(key, ast.Constant)
                    args.keywords[key.value] = self._ev(value, scope)
                    args.nodes[key.value] = value
            else:
                self._escape([self._ev(keyword.value, scope)])
                args.double_star = True
        return args

    def _ev_call(self, node: ast.Call, scope: _Scope) -> _Value:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self._ev(func.value, scope)
            return self._member(receiver, func.attr, _Site(scope.module, func, scope, func.value), self._args(node, scope))
        taken = self._getattr_literal(func, scope)
        if taken is not None:
            receiver, name, getattr_node = taken
            return self._member(receiver, name, _Site(scope.module, getattr_node, scope, getattr_node.args[0]), self._args(node, scope))
        if isinstance(func, ast.Name) and func.id == "getattr" and self._is_builtin(scope, "getattr") and len(node.args) >= 2:
            return self._getattr(node, scope)
        callee = self._ev(func, scope)
        return self._call_value(callee, self._args(node, scope), _Site(scope.module, node, scope))

    def _getattr_literal(self, func: ast.expr, scope: _Scope) -> tuple[_Value, str, ast.Call] | None:
        """``getattr(x, "name")`` in the callee position: the receiver and the literal name."""
        if not (isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "getattr" and len(func.args) >= 2):
            return None
        if not self._is_builtin(scope, "getattr"):
            return None
        name = func.args[1]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            return None
        return self._ev(func.args[0], scope), name.value, func

    def _getattr(self, node: ast.Call, scope: _Scope) -> _Value:
        receiver = self._ev(node.args[0], scope)
        name = self._ev(node.args[1], scope)
        for extra in node.args[2:]:
            self._ev(extra, scope)
        site = _Site(scope.module, node, scope, node.args[0])
        if name == _NOTHING:
            return _NOTHING
        if isinstance(name, _Str):
            return self._member(receiver, name.text, site, None)
        if isinstance(receiver, _Aws) and receiver.kind in _DYNAMODB_KINDS:
            self._unresolved(site, _DYNAMIC)
        return _UNKNOWN

    def _call_value(self, callee: _Value, args: _Args, site: _Site | None) -> _Value:
        if isinstance(callee, _Functions):
            result = _NOTHING
            for function in callee.functions:
                result = _join(result, self._call_function(function, args, callee.bound))
            return result
        if isinstance(callee, _ClassRef):
            return self._construct(callee.cls, args)
        if isinstance(callee, _BoundAttr) and site is not None:
            return self._aws_member(callee.receiver, callee.name, site, args)
        if callee == _NOTHING:
            return _NOTHING  # not known yet: whether its arguments escape is decided later
        self._escape(args.values())
        return _OTHER if isinstance(callee, (_Str, _Other)) else _UNKNOWN

    def _call_function(self, function: _Function, args: _Args, bound: _Value | None) -> _Value:
        self.new.called.add(function)
        arguments = function.node.args
        positional = ([bound] if bound is not None else []) + args.positional
        defaults = dict(zip(reversed(function.positional), reversed(arguments.defaults)))
        defaults |= {a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None}
        parent = function.scope.parent or function.scope
        for position, name in enumerate(function.parameters):
            if name == function.self_param:
                continue
            if position < len(positional) and position < len(function.positional):
                value = positional[position]
            elif name in args.keywords:
                value = args.keywords[name]
            elif (args.starred and position < len(function.positional)) or args.double_star:
                value = _UNKNOWN
            elif name in defaults:
                value = self._ev(defaults[name], parent)
            else:
                value = _NOTHING
            self.new.bind(function.scope, name, value)
        result = self.new.returns.get(function, _NOTHING)
        return _container(result) if function.generator else result

    def _construct(self, cls: _Class, args: _Args) -> _Value:
        instance = _Instance(cls)
        init = next((c.methods["__init__"] for c in self._mro(cls) if "__init__" in c.methods), None)
        if init is not None:
            self._call_function(init, args, instance)
        elif cls.dataclass:
            for position, name in enumerate(cls.fields):
                value = args.positional[position] if position < len(args.positional) else args.keywords.get(name, _NOTHING)
                self._bind_attribute(instance, name, value)
        elif not self.optimistic:  # by then its base classes are known: the __init__ is not ours
            self._escape(args.values())
        return instance

    def _escape(self, values: Iterable[_Value]) -> None:
        """Functions handed to code the analysis does not see: their callers are unknown."""
        for value in values:
            if isinstance(value, _Functions):
                self.new.escaped.update(value.functions)
            elif isinstance(value, _Container) and not value.mapping:
                # A dict handed over (sorted(), len(), json) is mostly read for its keys.
                self._escape([value.element])

    # --- members -----------------------------------------------------------------------------

    def _member(self, receiver: _Value, name: str, site: _Site, args: _Args | None) -> _Value:
        """``receiver.name`` (``args`` is None) or ``receiver.name(args)``."""
        if isinstance(receiver, _Aws):
            return self._aws_member(receiver, name, site, args)
        if isinstance(receiver, (_Instance, _ClassRef)):
            value = self._class_member(receiver, name)
            if value == _UNKNOWN:
                self._unknown_receiver(name, site, args is not None)
            return value if args is None else self._call_value(value, args, site)
        if isinstance(receiver, _ModuleRef):
            value = self._module_member(receiver.name, name)
            return value if args is None else self._call_value(value, args, site)
        if isinstance(receiver, _Container):
            return self._container_member(receiver, name, args)
        if receiver == _NOTHING:
            return _NOTHING
        if args is not None:
            self._escape(args.values())
        if receiver == _UNKNOWN:
            self._unknown_receiver(name, site, args is not None)
            return _UNKNOWN
        return _OTHER

    def _container_member(self, receiver: _Container, name: str, args: _Args | None) -> _Value:
        if args is None:
            return _OTHER
        if name in ("get", "pop", "setdefault"):
            default = args.positional[1] if len(args.positional) > 1 else _NOTHING
            return _join(receiver.element, default)
        if name == "values":
            return _container(receiver.element)
        if name == "copy":
            return receiver
        self._escape(args.values())
        return _UNKNOWN

    def _class_member(self, holder: _Instance | _ClassRef, name: str) -> _Value:
        for cls in self._mro(holder.cls):
            method = cls.methods.get(name)
            if method is not None:
                return self._method(method, holder, cls)
            attribute = self._class_attribute(cls, name)
            if attribute is not None:
                return attribute
        # Not (yet) assigned: while values are still rising it may be later in this round.
        return _NOTHING if self.optimistic else _UNKNOWN

    def _class_attribute(self, cls: _Class, name: str) -> _Value | None:
        values = [self.new.attrs[key] for key in [(cls, name)] if key in self.new.attrs]
        if name in cls.scope.locals:
            values.append(self.new.names.get((cls.scope, name), _NOTHING))
        if not values:
            return None
        result = _NOTHING
        for value in values:
            result = _join(result, value)
        return result

    def _method(self, method: _Function, holder: _Instance | _ClassRef, cls: _Class) -> _Value:
        if method.is_property:
            return self._call_function(method, _Args(), holder) if isinstance(holder, _Instance) else _OTHER
        if method.is_static:
            return _Functions(frozenset({method}))
        if method.is_classmethod:
            return _Functions(frozenset({method}), _ClassRef(holder.cls))
        return _Functions(frozenset({method}), holder) if isinstance(holder, _Instance) else _Functions(frozenset({method}))

    def _mro(self, cls: _Class) -> list[_Class]:
        if cls not in self.bases:
            self.bases[cls] = [cls]  # guards a class that (wrongly) inherits from itself
            order = [cls]
            parent = cls.scope.parent or cls.scope
            for base in cls.node.bases:
                value = self._ev(base, parent)
                if isinstance(value, _ClassRef):
                    order += [c for c in self._mro(value.cls) if c not in order]
            self.bases[cls] = order
        return self.bases[cls]

    def _unknown_receiver(self, name: str, site: _Site, called: bool) -> None:
        """A DynamoDB method name on a value the analysis cannot follow, in code that uses boto3."""
        if name not in _suspect_names() or not site.module.boto_aware:
            return
        if not called and "_" not in name:
            return  # reading ``url.query`` is not taking a method: only snake names are that distinctive
        receiver = site.receiver
        text = _short(ast.unparse(receiver)) if receiver is not None else "an object"
        function = site.scope.function
        if isinstance(receiver, ast.Name) and function is not None and receiver.id in function.parameters:
            called = function in self.old.called and function not in self.old.escaped
            why = _DIFFERENT_CALLERS if called else _NO_CALLERS
            reason = f"calls {name} on `{text}`, a parameter of {function.name}() whose value the analysis cannot follow: {why}"
        else:
            reason = f"calls {name} on `{text}`, whose value the analysis cannot follow (a parameter, or passed in from elsewhere)"
        self._unresolved(site, reason)

    # --- boto3 -------------------------------------------------------------------------------

    def _aws_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        kind = receiver.kind
        if kind in (_Kind.BOTO3, _Kind.SESSION, _Kind.SESSION_MODULE):
            return self._boto3_member(receiver, name, site, args)
        if kind in (_Kind.BOTOCORE, _Kind.BOTOCORE_SESSION_MODULE, _Kind.BOTOCORE_SESSION):
            return self._botocore_member(receiver, name, site, args)
        if args is not None:
            self._escape(args.values())
        handlers = {
            _Kind.CLIENT: self._client_member,
            _Kind.RESOURCE: self._resource_member,
            _Kind.TABLE: self._table_member,
            _Kind.TABLES: self._tables_member,
            _Kind.PAGINATOR: self._helper_member,
            _Kind.WAITER: self._helper_member,
        }
        if kind in handlers:
            return handlers[kind](receiver, name, site, args)
        if kind == _Kind.META and name == "client" and receiver.detail in ("resource", "table"):
            return _Aws(_Kind.CLIENT, receiver.own_credentials)
        return _OTHER  # a batch writer's own put_item/delete_item: sent as its BatchWriteItem

    def _boto3_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        factory = name in ("client", "resource") and receiver.kind != _Kind.SESSION_MODULE
        session = name == "Session" and receiver.kind != _Kind.SESSION
        if (factory or session) and args is None:
            return _BoundAttr(receiver, name)
        if factory and args is not None:
            return self._make(name, receiver.own_credentials or _own_credentials(args, name), site, args)
        if session and args is not None:
            return _Aws(_Kind.SESSION, _own_credentials(args, name))
        if name == "session" and receiver.kind == _Kind.BOTO3:
            return _Aws(_Kind.SESSION_MODULE)
        if args is not None:
            self._escape(args.values())
        return _OTHER

    def _botocore_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        if receiver.kind == _Kind.BOTOCORE and name == "session":
            return _Aws(_Kind.BOTOCORE_SESSION_MODULE)
        makes = {_Kind.BOTOCORE_SESSION_MODULE: ("get_session", "Session"), _Kind.BOTOCORE_SESSION: ("create_client",)}
        if name not in makes.get(receiver.kind, ()):
            return _OTHER
        if args is None:
            return _BoundAttr(receiver, name)
        if receiver.kind == _Kind.BOTOCORE_SESSION_MODULE:
            return _Aws(_Kind.BOTOCORE_SESSION)
        return self._make("client", _own_credentials(args, "create_client"), site, args)

    def _make(self, what: str, own: bool, site: _Site, args: _Args) -> _Value:
        service = args.get("service_name", 0)
        if service == _NOTHING:
            return _NOTHING  # not known yet (or no service at all: a TypeError)
        if not isinstance(service, _Str):
            self._unresolved(site, f"the service name is not a literal: which AWS service this boto3 {what} calls cannot be read")
            return _UNKNOWN
        if service.text != ops.SERVICE_PREFIX:
            return _OTHER  # another service: not this analysis' business
        return _Aws(_Kind.CLIENT if what == "client" else _Kind.RESOURCE, own)

    def _client_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        operations = ops.client_operations()
        if name in operations:
            self._request(receiver, name, operations[name], site, args)
            return _OTHER
        if name in ("get_paginator", "get_waiter"):
            return _BoundAttr(receiver, name) if args is None else self._helper(receiver, name, site, args)
        if name == "meta":
            return _Aws(_Kind.META, receiver.own_credentials, "client")
        if name in ops.LOCAL_CLIENT_METHODS:
            return _OTHER
        return self._missing("dynamodb client", name, site, args)

    def _missing(self, holder: str, name: str, site: _Site, args: _Args | None) -> _Value:
        """A name the SDK object does not have (a typo): at run time, an AttributeError."""
        if name.startswith("_") or name == "get_available_subresources":
            return _OTHER
        self._unresolved(site, f"{holder} has no {'attribute' if args is None else 'method'} {name}")
        return _UNKNOWN

    def _helper(self, receiver: _Aws, name: str, site: _Site, args: _Args) -> _Value:
        paginator = name == "get_paginator"
        what = "paginator" if paginator else "waiter"
        name_value = args.get("operation_name" if paginator else "waiter_name", 0)
        if name_value == _NOTHING:
            return _NOTHING
        literal = name_value.text if isinstance(name_value, _Str) else None
        if literal is None:
            self._unresolved(site, f"the {what} name is not a literal: which operation it sends cannot be read")
            return _UNKNOWN
        operation = (ops.client_operations() if paginator else _waiter_operations()).get(literal)
        if operation is None:
            self._unresolved(site, f"dynamodb has no {what} {literal!r}")
            return _UNKNOWN
        return _Aws(_Kind.PAGINATOR if paginator else _Kind.WAITER, receiver.own_credentials, operation)

    def _helper_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        if name == ("paginate" if receiver.kind == _Kind.PAGINATOR else "wait") and receiver.detail:
            self._request(receiver, name, receiver.detail, site, args)
        return _OTHER

    def _resource_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        operations = ops.service_resource_operations()
        if name in operations:
            self._request(receiver, name, operations[name], site, args)
            return _OTHER
        if name in _resource_subresources():
            if args is None:
                return _BoundAttr(receiver, name)
            table_name = args.get("name", 0)
            if table_name == _NOTHING:
                return _NOTHING  # not known yet: "no literal name" would be a guess that sticks
            return _Aws(_Kind.TABLE, receiver.own_credentials, table_name.text if isinstance(table_name, _Str) else None)
        if name in _resource_collections():
            return _Aws(_Kind.TABLES, receiver.own_credentials, _resource_collections()[name])
        if name == "meta":
            return _Aws(_Kind.META, receiver.own_credentials, "resource")
        return self._missing("a dynamodb service resource", name, site, args)

    def _table_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        operations = ops.table_operations()
        if name in operations:
            self._request(receiver, name, operations[name], site, args)
            return _OTHER
        if name == "batch_writer":
            self._request(receiver, name, "BatchWriteItem", site, args)
            return _Aws(_Kind.BATCH_WRITER, receiver.own_credentials) if args is not None else _OTHER
        if name in ops.table_loaded_attributes():
            self._request(receiver, name, "DescribeTable", site, _Args())
            return _OTHER
        if name == "meta":
            return _Aws(_Kind.META, receiver.own_credentials, "table")
        if name in _table_identifiers():
            return _Str(receiver.detail) if receiver.detail else _OTHER
        return self._missing("a dynamodb Table", name, site, args)

    def _tables_member(self, receiver: _Aws, name: str, site: _Site, args: _Args | None) -> _Value:
        if name not in _COLLECTION_METHODS:
            return _OTHER
        if receiver.detail:  # the first method on the collection sends its list request
            self._request(receiver, name, receiver.detail, site, _Args())
        return _Aws(_Kind.TABLES, receiver.own_credentials)

    # --- requests ----------------------------------------------------------------------------

    def _request(self, receiver: _Aws, method: str, operation: str, site: _Site, args: _Args | None) -> None:
        """``method`` sends ``operation``; ``args`` is None when the method is taken, not called."""
        if receiver.own_credentials:
            self._unresolved(site, f"{method}: calls through a session with its own credentials are not made with the function's role")
            return
        if operation in ops.TRANSACTION_OPERATIONS:
            self._transaction(method, operation, site, args)
        elif operation in ops.PARTIQL_OPERATIONS:
            self._partiql(method, operation, site, args)
        else:
            index = _index(operation, args)
            for table in self._tables(receiver, operation, site, args):
                self._call(site, method, operation, ops.operation_actions(operation), table, index)

    def _tables(self, receiver: _Aws, operation: str, site: _Site, args: _Args | None) -> list[str | None]:
        if receiver.kind == _Kind.TABLE:
            return [receiver.detail]
        if args is None:
            return [None]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            items = args.nodes.get("RequestItems")
            if not isinstance(items, ast.Dict) or not items.keys:
                return [None]
            names = {self._literal(key, site.scope) if key is not None else None for key in items.keys}
            return sorted(names, key=lambda n: (n is not None, n or ""))
        return [args.text("TableName")]

    def _literal(self, node: ast.expr, scope: _Scope) -> str | None:
        value = self._ev(node, scope)
        return value.text if isinstance(value, _Str) else None

    def _transaction(self, method: str, operation: str, site: _Site, args: _Args | None) -> None:
        entries = args.nodes.get("TransactItems") if args is not None else None
        accepted = ops.transaction_entry_actions(operation)
        if not isinstance(entries, (ast.List, ast.Tuple)) or not all(
            isinstance(e, ast.Dict) and None not in e.keys for e in entries.elts
        ):
            self._unresolved(site, f"the entries of {method} are not literal: which item actions it needs cannot be read")
            return
        actions: set[str] = set()
        tables: set[str | None] = set()
        for entry in entries.elts:
            assert isinstance(entry, ast.Dict)
            for key, body in zip(entry.keys, entry.values):
                assert key is not None
                name = self._literal(key, site.scope)
                if name not in accepted:
                    why = "which item action it needs cannot be read"
                    self._unresolved(site, f"an entry of {method} is not one of {', '.join(accepted)}: {why}")
                    return
                actions.add(accepted[name])
                tables.add(self._entry_table(body, site.scope))
        table = next(iter(tables)) if len(tables) == 1 else None
        self._call(site, method, operation, tuple(sorted(actions)), table, None)

    def _entry_table(self, body: ast.expr, scope: _Scope) -> str | None:
        if not isinstance(body, ast.Dict):
            return None
        for key, value in zip(body.keys, body.values):
            if key is not None and self._literal(key, scope) == "TableName":
                return self._literal(value, scope)
        return None

    def _partiql(self, method: str, operation: str, site: _Site, args: _Args | None) -> None:
        statements = self._statement_nodes(operation, args)
        not_literal = f"the statement of {method} is not a literal: which PartiQL action it needs cannot be read"
        if statements is None:
            self._unresolved(site, not_literal)
            return
        targets: dict[tuple[str | None, str | None], set[str]] = {}
        for node in statements:
            text = self._template(node, site.scope)
            action = ops.statement_action(text) if text is not None else None
            if text is None or action is None:
                self._unresolved(site, not_literal)
                return
            targets.setdefault(_statement_target(text), set()).add(action)
        for (table, index), actions in sorted(targets.items(), key=lambda t: (t[0][0] or "", t[0][1] or "")):
            self._call(site, method, operation, tuple(sorted(actions)), table, index)

    def _statement_nodes(self, operation: str, args: _Args | None) -> list[ast.expr] | None:
        if args is None:
            return None
        if operation == "ExecuteStatement":
            node = args.nodes.get("Statement")
            return [node] if node is not None else None
        entries = args.nodes.get("Statements" if operation == "BatchExecuteStatement" else "TransactStatements")
        if not isinstance(entries, (ast.List, ast.Tuple)):
            return None
        found = []
        for entry in entries.elts:
            if not isinstance(entry, ast.Dict):
                return None
            statement = next((v for k, v in zip(entry.keys, entry.values) if isinstance(k, ast.Constant) and k.value == "Statement"), None)
            if statement is None:
                return None
            found.append(statement)
        return found


def _statement_target(text: str) -> tuple[str | None, str | None]:
    target = ops.statement_target(text)
    if target is None:
        return None, None
    table, index = target
    return (None if _PLACEHOLDER in table else table), ("*" if index and _PLACEHOLDER in index else index)


def _index(operation: str, args: _Args | None) -> str | None:
    """``IndexName``: the literal, ``*`` when given (or possibly given) but not literal, else None."""
    if args is not None and "IndexName" in args.keywords:
        value = args.keywords["IndexName"]
        return value.text if isinstance(value, _Str) else "*"
    if (args is None or args.double_star) and _takes_index(operation):
        return "*"  # the arguments cannot be read: an index may be named
    return None


def _own_credentials(args: _Args, method: str) -> bool:
    """Credentials given (read from the code, not from values, which are still rising)."""
    for name, (session_position, client_position) in _CREDENTIALS.items():
        position = session_position if method == "Session" else client_position
        if position is not None and position < len(args.positional_nodes):
            node: ast.expr | None = args.positional_nodes[position]
        else:
            node = args.nodes.get(name)
        if node is not None and not (isinstance(node, ast.Constant) and node.value is None):
            return True
    return False


def _is_text(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


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


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
