"""Which DynamoDB API calls a Lambda function's code can make, found by reading it (never running it).

Approach: every ``.py`` file of the source folder is parsed with :mod:`ast` and interpreted
abstractly. Values are tracked by *kind*: the boto3 module, a session, a DynamoDB client,
service resource, ``Table``, batch writer, paginator or waiter; the code's own functions,
classes, instances and modules; string constants and environment variables (``os.environ``,
``os.getenv``: the value of variable X); objects of modules outside the folder by their dotted
path. The interpretation is flow-insensitive: a name's kind is the join of everything assigned
to it in its scope, a parameter's the join of what every call site in the analysed files
passes, a function's result the join of its ``return`` values. Rounds over the whole program
grow these to a fixed point (first assuming nothing of functions no call reaches yet, then
treating their parameters as unknown); a last round records each method call on a DynamoDB
kind as the operation the SDK models say it sends, with the IAM actions that authorize it
(both from :mod:`.dynamodb_operations`), and the calls libraries make on the function's
behalf (:mod:`.library_calls`).

Tables: each call names its table as the code does: ``env:X`` when the name is read from the
environment variable X (directly, through constants, class or instance attributes, dataclass
defaults), the literal, or None (an f-string, a concatenation, two different names). Batches
and transactions are one call per table, each with that table's actions; transaction entries
are read from the literal, from a comprehension of a literal dict, or from a list grown with
``append``/``extend``/``+=`` in the function that binds it.

From the handler: the rounds record which code runs which (calls, callbacks handed to code
the analysis does not see, decorators that register a function, imports, thread targets and
executor ``submit``/``map``). Given a handler, only its function, the import-time code of its
module and of every analysed module they import, and what those run count; calls made from
anywhere else give no values to parameters, and what they record is listed as unreachable.

Limits: what the analysis cannot follow is reported as :class:`Unresolved`, never guessed:
DynamoDB method names called on values passed in from outside the folder, method names in
variables, transactions and PartiQL statements that are not literal, calls through a session
with its own credentials, library calls that take a table and are not modelled. Decorators are
assumed to pass a function's arguments and result through. Not modelled (so not seen): values
put into containers after they are built (``list.append``, except transaction entries),
``super()``, ``functools.partial``, ``setattr``, aioboto3 and other wrappers, code loaded
dynamically (``importlib``, ``exec``). A name reassigned to values of different kinds is
unknown rather than split by control flow. A copy of boto3 or botocore bundled in the folder
is the SDK: modelled, not read.
"""

from __future__ import annotations

import ast
import warnings
import sys
from collections.abc import Sequence, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import cache, cached_property
from pathlib import Path
from typing import TypeVar

from lambda_dynamodb.iam import dynamodb_operations as ops
from lambda_dynamodb.analysis import libraries as libs
from lambda_dynamodb.packaging.code_package import source_files

_T = TypeVar("_T")

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
    #: What the handler never reaches (when a handler is given): listed, granting and blocking nothing.
    unreachable: tuple[CodeCall | Unresolved, ...] = ()
    handler: str | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({action for call in self.calls for action in call.actions}))


def analyse(source_dir: Path, handler: str | None = None, exclude: Sequence[str] = ()) -> CodeAnalysis:
    """Every DynamoDB call the ``.py`` files under ``source_dir`` can make (read, never imported).

    With ``handler`` (``module.function``, e.g. ``app.main.handler``), only what that function
    reaches counts, plus the import-time code of its module and of the modules they import;
    the rest is listed in :attr:`CodeAnalysis.unreachable`. Without one, every function is an
    entry point. A handler whose module or function is not in the folder is a ``ValueError``.
    """
    # The files the package holds (``exclude`` left out): what Lambda can run.
    files = [path for path in source_files(source_dir, exclude) if path.suffix == ".py"]
    program = _Program(source_dir, files)
    entry = _entry_point(program, source_dir, handler) if handler is not None else None
    reached, unreachable = _Interpreter(program, entry).run()
    calls = [r for r in reached if isinstance(r, CodeCall)]
    unresolved = [r for r in reached if isinstance(r, Unresolved)]
    return CodeAnalysis(
        source=f"{display_root(source_dir)}/",
        files=tuple(sorted(program.paths)),
        calls=tuple(sorted(calls, key=_call_order)),
        unresolved=tuple(sorted(set(unresolved) | set(program.parse_errors), key=_unresolved_order)),
        unreachable=tuple(sorted(unreachable, key=_record_order)),
        handler=handler,
    )


def display_root(source_dir: Path) -> str:
    """How messages name the folder: relative to the working directory (where ``cdktf synth``
    runs, so ``functions/sync/handler.py:14`` opens in an editor), else by its own name."""
    try:
        return source_dir.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return source_dir.name


def _call_order(call: CodeCall) -> tuple[object, ...]:
    return (call.path, call.line, call.method, call.operation, call.table or "", call.index or "", call.actions)


def _unresolved_order(entry: Unresolved) -> tuple[object, ...]:
    return (entry.path, entry.line, entry.reason)


def _record_order(record: CodeCall | Unresolved) -> tuple[object, ...]:
    return _call_order(record) if isinstance(record, CodeCall) else (*_unresolved_order(record), "", "", "", ())


def _entry_point(program: _Program, source_dir: Path, handler: str) -> tuple[_Module, str]:
    """The handler's module and function name; a ValueError if the folder does not define them."""
    module_name, dot, function = handler.rpartition(".")
    if not dot or not module_name or not function:
        raise ValueError(f"handler {handler!r} is not of the form module.function")
    module = program.modules.get(module_name)
    if module is None:
        raise ValueError(f"handler {handler!r}: {display_root(source_dir)}/ has no module {module_name!r}")
    if function not in module.scope.locals:
        raise ValueError(f"handler {handler!r}: {module.path} defines no {function!r}")
    return module, function


# --- what the SDK models say -----------------------------------------------------------------

#: Keywords (and their positions) that give a session or client credentials of its own.
_CREDENTIALS = {"aws_access_key_id": (0, 6), "aws_secret_access_key": (1, 7), "aws_session_token": (2, 8), "profile_name": (5, None)}
#: boto3 collection methods (``resource.tables.all()``): each sends the collection's list request.
_COLLECTION_METHODS = frozenset({"all", "filter", "limit", "page_size", "pages", "iterator"})
#: Method names too common on other objects to suspect a DynamoDB call on an unknown receiver.
_GENERIC_NAMES = frozenset({"update", "delete", "load", "reload", "get", "close", "wait", "paginate", "all", "filter"})
#: Decorators that make a method an attribute: reading it runs the method.
_PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
#: Decorators known to only wrap (or describe) a function: it runs when it is called, not because it is defined.
_PASS_THROUGH_DECORATORS = frozenset(
    {"cache", "lru_cache", "cached_property", "property", "staticmethod", "classmethod", "setter", "getter", "deleter"}
    | {"wraps", "contextmanager", "asynccontextmanager", "abstractmethod", "overload", "override", "singledispatch"}
    | {"capture_method", "capture_lambda_handler", "inject_lambda_context", "log_metrics", "idempotent_function", "retry"}
)
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
class _Env(_Value):
    """The value of one environment variable: a string, known by the variable's name."""

    name: str


@dataclass(frozen=True)
class _Ext(_Value):
    """An object of a module outside the folder (not the SDK), by its dotted path, e.g. ``os.environ``.

    Unless modelled (the standard library's environment, threads and executors, the libraries
    of :mod:`.library_calls`) it is as unknown as :data:`_UNKNOWN`; the path is kept so that
    calls into a library can be recognised.
    """

    path: str


@dataclass(frozen=True)
class _Lib(_Value):
    """An object a modelled library made: which model (``executor``, ``parameters``...) and its table."""

    model: str
    table: str | None = None


@dataclass(frozen=True)
class _Aws(_Value):
    kind: _Kind
    own_credentials: bool = False
    detail: str | None = None  # a Table's name as the code gives it (see _table_ref); a paginator's, waiter's or collection's operation


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


#: Values that are plain data: strings (known or from the environment) and other non-AWS values.
_STRINGS = (_Str, _Env, _Other)


def _table_ref(value: _Value) -> str | None:
    """How the code names a table: ``env:NAME`` (from that environment variable), a literal, or None."""
    if isinstance(value, _Env):
        return f"env:{value.name}"
    return value.text if isinstance(value, _Str) else None


_ENVIRON: _Value = _Ext("os.environ")


def _env(name: _Value) -> _Value:
    """``os.environ[name]``: the variable's value when its name is a literal."""
    if name == _NOTHING:
        return _NOTHING
    return _Env(name.text) if isinstance(name, _Str) else _OTHER


def _ref_value(ref: str | None) -> _Value:
    """The string value of a table reference (``table.name``)."""
    if ref is None:
        return _OTHER
    return _Env(ref[4:]) if ref.startswith("env:") else _Str(ref)


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
    if isinstance(a, _Lib) and isinstance(b, _Lib) and a.model == b.model:
        return _Lib(a.model)  # objects on different tables: the table is not one name
    if isinstance(a, _STRINGS) and isinstance(b, _STRINGS):
        return _OTHER  # two different strings (or environment variables): neither names the table
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
    return _OTHER if all(isinstance(v, _STRINGS) for v in values) else _UNKNOWN


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
        display = f"{display_root(source_dir)}/{relative.as_posix()}"
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


def _parent_packages(name: str) -> list[str]:
    """The packages importing ``name`` runs first (``a`` and ``a.b`` for ``a.b.c``)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _walrus_scope(scope: _Scope) -> _Scope:
    while scope.kind == "comprehension" and scope.parent is not None:
        scope = scope.parent
    return scope


# --- the interpretation ----------------------------------------------------------------------


#: Code that runs as one piece: a function's body, or a module's import-time code.
_Owner = _Function | _Module


@dataclass
class _State:
    """What the analysis knows: the value of every name, function result and class attribute."""

    names: dict[tuple[_Scope, str], _Value] = field(default_factory=dict)
    returns: dict[_Function, _Value] = field(default_factory=dict)
    attrs: dict[tuple[_Class, str], _Value] = field(default_factory=dict)
    called: set[_Function] = field(default_factory=set)
    escaped: set[_Function] = field(default_factory=set)
    #: Which code runs which: (a function or a module's import-time code, a function or module it runs).
    edges: set[tuple[_Owner, _Owner]] = field(default_factory=set)

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
    def __init__(self, program: _Program, entry: tuple[_Module, str] | None = None) -> None:
        self.program = program
        self.entry = entry
        self.old = _State()
        self.new = _State()
        self.recording = False
        self.optimistic = False
        self.records: dict[tuple[object, ...], CodeCall | Unresolved] = {}
        self.record_owners: dict[tuple[object, ...], set[_Owner]] = {}
        self.bases: dict[_Class, list[_Class]] = {}
        self.library_bases: dict[_Class, set[str]] = {}
        self.owner: _Owner | None = None
        self.reached: set[_Owner] | None = None  # None: no handler, every function is an entry point

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

    def _reach(self, state: _State) -> set[_Owner] | None:
        """What the handler runs: its function, its module's import-time code, and all they run."""
        if self.entry is None:
            return None
        module, name = self.entry
        roots: set[_Owner] = {module}
        roots |= {self.program.modules[p] for p in _parent_packages(module.name) if p in self.program.modules}
        value = state.names.get((module.scope, name), _NOTHING)
        if isinstance(value, _Functions):
            roots |= set(value.functions)
        graph: dict[_Owner, set[_Owner]] = {}
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

    def _is_reached(self) -> bool:
        return self.reached is None or self.owner is None or self.owner in self.reached

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
        if self.entry is not None:
            module, name = self.entry
            for node in module.tree.body:  # the handler is called by Lambda: its event and context are unknown
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                    state.escaped.add(self.program.functions[node])
        return state

    def _round(self, old: _State) -> _State:
        # Values only ever grow (each round joins onto the last), and every operation is
        # monotone, so the rounds reach a fixed point; reading the values of this round as they
        # grow gets there sooner. Which functions are called is counted afresh each round.
        self.old, self.bases, self.library_bases = old, {}, {}
        self.new = _State(dict(old.names), dict(old.returns), dict(old.attrs), set(), set(old.escaped), set(old.edges))
        self.reached = self._reach(old)
        for module in self.program.all_files:
            self.owner = module
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
            self._record((*site.key, call), call)

    def _record(self, key: tuple[object, ...], record: CodeCall | Unresolved) -> None:
        self.records[key] = record
        if self.owner is not None:
            self.record_owners.setdefault(key, set()).add(self.owner)

    def _unresolved(self, site: _Site, reason: str) -> None:
        if self.recording:
            entry = Unresolved(site.module.path, site.line, reason)
            self._record((*site.key, entry), entry)

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
        if set(function.decorators) - _PASS_THROUGH_DECORATORS:
            # Handed to its decorator (a route, a registered callback): it may run whenever the
            # code that defines it has run.
            self._runs(function)
        self._as_owner(function, lambda: self._block(node.body, function.scope))

    def _as_owner(self, owner: _Owner, run: Callable[[], _T]) -> _T:
        """Interpret a function's body as its own code (for what reaches what)."""
        outer, self.owner = self.owner, owner
        try:
            return run()
        finally:
            self.owner = outer

    def _runs(self, target: _Owner) -> None:
        """The code being interpreted runs ``target`` (a call, a callback handed over, an import)."""
        if self.owner is not None:
            self.new.edges.add((self.owner, target))

    def _defaults(self, arguments: ast.arguments, scope: _Scope) -> None:
        for default in arguments.defaults + [d for d in arguments.kw_defaults if d is not None]:
            self._ev(default, scope)

    def _define_class(self, node: ast.ClassDef, scope: _Scope) -> None:
        cls = self.program.classes[node]
        for child in node.bases + [k.value for k in node.keywords] + node.decorator_list:
            self._ev(child, scope)
        self.new.bind(scope, node.name, _ClassRef(cls))
        self._block(node.body, cls.scope)

    def _run_module(self, name: str | None) -> None:
        if name is None:
            return
        for module_name in [*_parent_packages(name), name]:
            if module_name in self.program.modules:
                self._runs(self.program.modules[module_name])

    def _import(self, node: ast.Import, scope: _Scope) -> None:
        for alias in node.names:
            self._run_module(alias.name)
            if alias.asname:
                self.new.bind(self._store_scope(scope, alias.asname), alias.asname, self._module_value(alias.name))
            else:
                first = alias.name.split(".")[0]
                self.new.bind(self._store_scope(scope, first), first, self._module_value(first))

    def _import_from(self, node: ast.ImportFrom, scope: _Scope) -> None:
        source = _resolve_import(scope.module, node.level, node.module)
        self._run_module(source)
        for alias in node.names:
            if source is not None:
                self._run_module(f"{source}.{alias.name}")
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
        if isinstance(module, _Ext):
            return _Ext(f"{module.path}.{name}")
        return module

    def _module_value(self, name: str) -> _Value:
        if self.program.is_module(name):
            return _ModuleRef(name)
        known = {"boto3": _Kind.BOTO3, "boto3.session": _Kind.SESSION_MODULE, "botocore": _Kind.BOTOCORE}
        known["botocore.session"] = _Kind.BOTOCORE_SESSION_MODULE
        if name in known:
            return _Aws(known[name])
        return _OTHER if name.split(".")[0] in _SDK_PACKAGES else _Ext(name)

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
            subscript = self._ev(node.slice, scope)
            if value == _ENVIRON:
                return _env(subscript)
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
        self._as_owner(function, lambda: self._returns(function.scope, self._ev(node.body, function.scope)))
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
        if isinstance(value, (*_STRINGS, _Nothing)):
            return _OTHER if value != _NOTHING else _NOTHING
        return _UNKNOWN

    def _enter(self, value: _Value) -> _Value:
        """What ``with value as name`` binds."""
        if isinstance(value, (_Aws, _Lib)):
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
                    args.keywords[str(key.value)] = self._ev(value, scope)
                    args.nodes[str(key.value)] = value
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
        if isinstance(callee, _Ext) and site is not None:
            return self._ext_call(callee, args, site)
        if callee == _NOTHING:
            return _NOTHING  # not known yet: whether its arguments escape is decided later
        self._escape(args.values())
        return _OTHER if isinstance(callee, _STRINGS) else _UNKNOWN

    def _call_function(self, function: _Function, args: _Args, bound: _Value | None) -> _Value:
        self._runs(function)
        if not self._is_reached():
            # A call from code the handler never runs: it neither reaches the function nor
            # gives its parameters values (they would block or grant what never happens).
            result = self.new.returns.get(function, _NOTHING)
            return _container(result) if function.generator else result
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
        run = next((c.methods["run"] for c in self._mro(cls) if "run" in c.methods), None)
        if run is not None and self._library_base(cls, frozenset(_THREADS)):
            self._call_function(run, _Args(), instance)  # a Thread subclass: start() runs its run()
        return instance

    def _escape(self, values: Iterable[_Value]) -> None:
        """Functions handed to code the analysis does not see: their callers are unknown."""
        for value in values:
            if isinstance(value, _Functions):
                for function in value.functions:
                    self._runs(function)  # reached if the place that hands it over is reached
                if self._is_reached():
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
            modelled = self._pynamodb_member(receiver, name, site, args)
            if modelled is not None:
                return modelled
            value = self._class_member(receiver, name)
            if value == _UNKNOWN:
                self._unknown_receiver(name, site, args is not None)
            return value if args is None else self._call_value(value, args, site)
        if isinstance(receiver, _ModuleRef):
            value = self._module_member(receiver.name, name)
            return value if args is None else self._call_value(value, args, site)
        if isinstance(receiver, _Container):
            return self._container_member(receiver, name, args)
        if isinstance(receiver, _Ext):
            return self._ext_member(receiver, name, site, args)
        if isinstance(receiver, _Lib):
            return self._lib_member(receiver, name, site, args)
        if isinstance(receiver, _Env) and name in _STRIPS and args is not None and not args.values():
            return receiver  # the variable holds the table's name as set: stripping it changes nothing
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
                elif isinstance(value, _Ext):  # a library's class (a PynamoDB Model): see _pynamodb_member
                    self.library_bases.setdefault(cls, set()).add(value.path)
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

    # --- outside the folder: the standard library and modelled libraries ---------------------

    def _ext_member(self, receiver: _Ext, name: str, site: _Site, args: _Args | None) -> _Value:
        member = _Ext(f"{receiver.path}.{name}")
        if args is not None:
            return self._ext_call(member, args, site)
        if not _is_modelled(member.path):
            self._unknown_receiver(name, site, False)
        return member

    def _ext_call(self, callee: _Ext, args: _Args, site: _Site) -> _Value:
        """A call into code outside the folder: modelled, or unknown (its arguments escape)."""
        path = callee.path
        if path in ("os.getenv", "os.environ.get", "os.environ.setdefault"):
            return _env(args.get("key", 0))
        if path == "dataclasses.field":  # a dataclass field's default: what its factory returns
            factory = args.get("default_factory")
            return self._call_value(factory, _Args(), site) if factory != _NOTHING else args.get("default")
        if path in _THREADS:
            return self._thread(args, *_THREADS[path], site)
        if path in _EXECUTORS:
            self._escape(args.values())
            return _Lib("executor")
        constructor = libs.CONSTRUCTORS.get(path)
        if constructor is not None:
            return self._library_object(constructor, path, args, site)
        if isinstance(site.node, ast.Attribute):  # a method of an object from outside: as unknown as before
            self._unknown_receiver(path.rpartition(".")[2], site, True)
        if _takes_a_table(path, args):
            self._unresolved(site, libs.unmodelled_reason(_call_name(path)))
        self._escape(args.values())
        # What a library returns is unknown, but still the library's: its methods are library calls.
        return _Ext(f"{path}()") if _is_third_party(path) else _UNKNOWN

    def _thread(self, args: _Args, target_name: str, target_at: int, args_at: int, kwargs_at: int, site: _Site) -> _Value:
        """``Thread(target=f, args=..., kwargs=...)``: the thread runs ``f`` with them."""
        target = args.get(target_name, target_at)
        passed = _Args()
        arguments = _arg_node(args, "args", args_at)
        if isinstance(arguments, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in arguments.elts):
            passed.positional = [self._ev(e, site.scope) for e in arguments.elts]
            passed.positional_nodes = list(arguments.elts)
        elif arguments is not None:
            passed.starred = True
        keywords = _arg_node(args, "kwargs", kwargs_at)
        if isinstance(keywords, ast.Dict) and all(_is_text(k) for k in keywords.keys):
            for key, value in zip(keywords.keys, keywords.values):
                assert isinstance(key, ast.Constant)
                passed.keywords[str(key.value)] = self._ev(value, site.scope)
                passed.nodes[str(key.value)] = value
        elif keywords is not None:
            passed.double_star = True
        if target != _NOTHING:
            self._call_value(target, passed, site)
        return _OTHER

    def _lib_member(self, receiver: _Lib, name: str, site: _Site, args: _Args | None) -> _Value:
        if receiver.model == "executor":
            return self._executor_member(name, site, args)
        operation = libs.METHODS.get(receiver.model, {}).get(name)
        if operation is not None and args is not None:
            self._call(site, name, operation, ops.operation_actions(operation), receiver.table, None)
        elif args is not None:
            self._escape(args.values())
        return _OTHER

    def _executor_member(self, name: str, site: _Site, args: _Args | None) -> _Value:
        """``executor.submit(f, *args, **kwargs)`` and ``executor.map(f, *iterables)`` call ``f``."""
        if args is None or name not in ("submit", "map") or not args.positional:
            if args is not None:
                self._escape(args.values())
            return _OTHER
        function = args.positional[0]
        if name == "submit":
            passed = _Args(args.positional[1:], args.positional_nodes[1:], args.starred, args.keywords, args.nodes, args.double_star)
            self._call_value(function, passed, site)
            return _OTHER  # a future: its result is not followed
        items = [self._iterate(v) for v in args.positional[1:]]
        return _container(self._call_value(function, _Args(items, args.positional_nodes[1:], args.starred), site))

    def _library_object(self, constructor: libs.Constructor, path: str, args: _Args, site: _Site) -> _Value:
        table = args.get(constructor.table_keyword, constructor.table_position)
        self._escape(args.values())
        if table == _NOTHING and not self.recording:
            return _NOTHING  # not known yet; once recording, still a call (on a table it cannot name)
        ref = _table_ref(table)
        if constructor.at_construction is not None:
            label, actions = constructor.at_construction
            self._call(site, path.rpartition(".")[2], label, actions, ref, None)
        return _Lib(constructor.model, ref)

    def _library_base(self, cls: _Class, bases: frozenset[str]) -> bool:
        return any(self.library_bases.get(c, set()) & bases for c in self._mro(cls))

    def _defined_in_code(self, cls: _Class, name: str) -> bool:
        return any(name in c.methods or name in c.scope.locals or (c, name) in self.new.attrs for c in self._mro(cls))

    def _pynamodb_member(self, holder: _Instance | _ClassRef, name: str, site: _Site, args: _Args | None) -> _Value | None:
        """A PynamoDB model's or index's method (``Order.get``, ``order.save``, ``Order.by_status.query``)."""
        cls = holder.cls
        if self._defined_in_code(cls, name):
            return None
        if self._library_base(cls, libs.PYNAMODB_MODELS) and (name in libs.PYNAMODB_MODEL_METHODS or name == "count"):
            return self._model_method(cls, name, site, args) if args is not None else _OTHER
        if isinstance(holder, _Instance) and self._library_base(cls, libs.PYNAMODB_INDEXES) and name in libs.PYNAMODB_INDEX_METHODS:
            return self._index_method(cls, name, site, args) if args is not None else _OTHER
        return None

    def _model_method(self, cls: _Class, name: str, site: _Site, args: _Args) -> _Value:
        operations = libs.PYNAMODB_MODEL_METHODS.get(name) or (libs.pynamodb_count(_has_hash_key(args)),)
        self._escape(args.values())
        table = self._meta(cls, "table_name")
        for operation in operations:
            self._call(site, name, operation, ops.operation_actions(operation), table, None)
        if name in libs.PYNAMODB_RETURNS_ITEM:
            return _Instance(cls)  # the item: its save/update/delete are the model's
        return _container(_Instance(cls)) if name in libs.PYNAMODB_RETURNS_ITEMS else _OTHER

    def _index_method(self, cls: _Class, name: str, site: _Site, args: _Args) -> _Value:
        operation = libs.PYNAMODB_INDEX_METHODS[name]
        index = self._meta(cls, "index_name")
        literal_index = index if index and not index.startswith("env:") else "*"  # an index name is matched as written
        self._escape(args.values())
        for table in self._index_tables(cls):
            self._call(site, name, operation, ops.operation_actions(operation), table, literal_index)
        return _container(_OTHER)

    def _meta(self, cls: _Class, name: str) -> str | None:
        """``class Meta: <name> = ...`` of a PynamoDB model or index (inherited from its bases)."""
        for owner in self._mro(cls):
            meta = self.new.names.get((owner.scope, "Meta"), _NOTHING) if "Meta" in owner.scope.locals else _NOTHING
            for holder in self._mro(meta.cls) if isinstance(meta, _ClassRef) else []:  # Meta(Base.Meta) too
                value = self._class_attribute(holder, name)
                if value is not None:
                    return _table_ref(value)
        return None

    def _index_tables(self, index: _Class) -> list[str | None]:
        """The tables of the models that have ``index`` as an attribute (None if no model is found)."""
        tables: set[str | None] = set()
        for cls in self.program.classes.values():
            if not self._library_base(cls, libs.PYNAMODB_MODELS):
                continue
            if any(self.new.names.get((cls.scope, n)) == _Instance(index) for n in cls.scope.locals):
                tables.add(self._meta(cls, "table_name"))
        return sorted(tables, key=lambda t: (t is not None, t or "")) or [None]

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
            return _Aws(_Kind.TABLE, receiver.own_credentials, _table_ref(table_name))
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
            return _ref_value(receiver.detail)
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
            node = args.nodes.get("RequestItems")
            found = _EntryShapes(self.program, site.scope).entries(node) if node is not None else None
            if not found or not all(items.keys for items, _ in found):
                return [None]
            names = {self._ref(key, scope) if key is not None else None for items, scope in found for key in items.keys}
            return sorted(names, key=lambda n: (n is not None, n or ""))
        return [_table_ref(args.get("TableName"))]

    def _ref(self, node: ast.expr, scope: _Scope) -> str | None:
        return _table_ref(self._ev(node, scope))

    def _literal(self, node: ast.expr, scope: _Scope) -> str | None:
        value = self._ev(node, scope)
        return value.text if isinstance(value, _Str) else None

    def _transaction(self, method: str, operation: str, site: _Site, args: _Args | None) -> None:
        """One call per table of the transaction, with the item actions of that table's entries."""
        node = args.nodes.get("TransactItems") if args is not None else None
        entries = _EntryShapes(self.program, site.scope).entries(node) if node is not None else None
        accepted = ops.transaction_entry_actions(operation)
        if entries is None:
            self._unresolved(site, f"the entries of {method} are not literal: which item actions it needs cannot be read")
            return
        per_table: dict[str | None, set[str]] = {}
        for entry, scope in entries:
            for key, body in zip(entry.keys, entry.values):
                name = self._literal(key, scope) if key is not None else None
                if name not in accepted:
                    why = "which item action it needs cannot be read"
                    self._unresolved(site, f"an entry of {method} is not one of {', '.join(accepted)}: {why}")
                    return
                per_table.setdefault(self._entry_table(body, scope), set()).add(accepted[name])
        for table, actions in sorted(per_table.items(), key=lambda t: (t[0] is not None, t[0] or "")):
            self._call(site, method, operation, tuple(sorted(actions)), table, None)

    def _entry_table(self, body: ast.expr, scope: _Scope) -> str | None:
        if not isinstance(body, ast.Dict):
            return None
        for key, value in zip(body.keys, body.values):
            if key is not None and self._literal(key, scope) == "TableName":
                return self._ref(value, scope)
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


class _EntryShapes:
    """The literal shapes of a list's entries, read from the code (``[{...}]``, a comprehension of
    a dict, or a name bound to those in its function and grown with ``append``/``extend``/``+=``).

    Syntactic on purpose: the dicts themselves give the entry kinds and tables, which the
    abstract values (joined per name) would lose. Anything else is None: not literal.
    """

    def __init__(self, program: _Program, scope: _Scope) -> None:
        self.program = program
        self.scope = scope
        self.seen: set[str] = set()

    def entries(self, node: ast.expr) -> list[tuple[ast.Dict, _Scope]] | None:
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

    def _all(self, nodes: list[ast.expr]) -> list[tuple[ast.Dict, _Scope]] | None:
        found: list[tuple[ast.Dict, _Scope]] = []
        for node in nodes:
            entries = self.entries(node)
            if entries is None:
                return None
            found += entries
        return found

    def _bound(self, name: str) -> list[tuple[ast.Dict, _Scope]] | None:
        """Everything the function (or module) where ``name`` is a local puts into it."""
        scope: _Scope | None = self.scope
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

    def _grown(self, name: str, nodes: list[ast.AST]) -> list[tuple[ast.Dict, _Scope]] | None:
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


def _code_nodes(scope: _Scope) -> list[ast.AST]:
    """Every node of a function's (or module's) code, with the functions in it (which may grow its lists)."""
    root: ast.AST = scope.function.node if scope.function is not None else scope.module.tree
    return list(ast.walk(root))[1:]


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


_STRIPS = frozenset({"strip", "lstrip", "rstrip"})
#: Thread classes -> the function's keyword, and the positions of the function, its args and kwargs.
_THREADS = {"threading.Thread": ("target", 1, 3, 4), "threading.Timer": ("function", 1, 2, 3)}
_EXECUTORS = frozenset(
    f"concurrent.futures{sub}.{name}" for sub in ("", ".thread", ".process") for name in ("ThreadPoolExecutor", "ProcessPoolExecutor")
)
#: Standard library names that are modelled (not unknown receivers).
_MODELLED_STDLIB = frozenset(
    {"os.environ", "os.getenv", "os.environ.get", "os.environ.setdefault", "dataclasses.field", *_THREADS, *_EXECUTORS}
)


def _is_modelled(path: str) -> bool:
    return path in _MODELLED_STDLIB or path in libs.CONSTRUCTORS


def _is_third_party(path: str) -> bool:
    top = path.split(".")[0]
    return top not in sys.stdlib_module_names and top not in _SDK_PACKAGES


def _takes_a_table(path: str, args: _Args) -> bool:
    """A call into a third-party library that hands it a table (or a library class known to take one)."""
    if path in libs.UNMODELLED:
        return True
    return _is_third_party(path) and any(k in args.keywords for k in libs.TABLE_KEYWORDS)


def _call_name(path: str) -> str:
    """The name a library call is known by: the last part of its path (``upsert``, ``put_item``)."""
    return path.rpartition(".")[2] or path


def _has_hash_key(args: _Args) -> bool:
    return bool(args.positional) or "hash_key" in args.keywords or args.starred or args.double_star


def _arg_node(args: _Args, name: str, position: int) -> ast.expr | None:
    if position < len(args.positional_nodes):
        return args.positional_nodes[position]
    return args.nodes.get(name)


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
