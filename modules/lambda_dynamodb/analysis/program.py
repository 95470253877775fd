"""The program model: the folder's modules, their scopes, functions and classes, and their imports.

Built once, before any value is known, from the syntax alone: each ``.py`` file is parsed into
a :class:`Module` named as Python imports it (``app/db.py`` is ``app.db``), and a binder walks
it with Python's scoping rules (module, class, function and comprehension scopes; ``global``,
``nonlocal``, the walrus' scope), so that the interpreter knows which scope every name belongs
to, which functions are methods of which class, which are generators, and which analysed
modules each one imports (what runs when it is imported: the basis of reachability from the
handler, :func:`entry_point`).

The seam: nothing here depends on values or on the SDK's models (apart from naming the SDK's
packages, which are modelled rather than read, and the values a method's ``self`` has), so the
interpreter's rounds only ever change values, never the program's shape.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from lambda_dynamodb.analysis.model import Unresolved, display_root
from lambda_dynamodb.analysis.values import ClassRef, Instance, Value


#: Decorators that make a method an attribute: reading it runs the method.
_PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
#: The SDK's own packages: what the analysis models, even when a copy is bundled with the code.
SDK_PACKAGES = frozenset({"boto3", "botocore"})


@dataclass(eq=False)
class Module:
    name: str
    path: str
    package: str
    tree: ast.Module
    scope: Scope = field(init=False)
    imports: set[str] = field(default_factory=set)  # analysed modules it imports
    star_imports: list[str] = field(default_factory=list)
    imports_boto: bool = False
    boto_aware: bool = False


@dataclass(eq=False)
class Scope:
    kind: str  # module, function, class, comprehension
    module: Module
    parent: Scope | None
    locals: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    function: Function | None = None


@dataclass(eq=False)
class Function:
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    scope: Scope
    owner: Class | None = None
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

    def self_value(self) -> Value:
        assert self.owner is not None
        return ClassRef(self.owner) if self.is_classmethod else Instance(self.owner)


@dataclass(eq=False)
class Class:
    name: str
    node: ast.ClassDef
    scope: Scope
    methods: dict[str, Function] = field(default_factory=dict)
    dataclass: bool = False
    fields: list[str] = field(default_factory=list)


class Program:
    """The parsed files and the scopes, functions and classes in them."""

    def __init__(self, source_dir: Path, files: list[Path]) -> None:
        self.modules: dict[str, Module] = {}
        self.all_files: list[Module] = []
        self.parse_errors: list[Unresolved] = []
        self.scopes: dict[ast.AST, Scope] = {}
        self.functions: dict[ast.AST, Function] = {}
        self.classes: dict[ast.AST, Class] = {}
        self.class_of_scope: dict[Scope, Class] = {}
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
        if parts[0] in SDK_PACKAGES:
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
        module = Module(name, display, package, tree)
        module.scope = Scope("module", module, None)
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


def resolve_import(module: Module, level: int, name: str | None) -> str | None:
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

    def __init__(self, program: Program, module: Module) -> None:
        self.program = program
        self.module = module
        self.stack = [module.scope]

    def bind(self, name: str, scope: Scope | None = None) -> None:
        scope = scope or self.stack[-1]
        if name in scope.globals:
            self.module.scope.locals.add(name)
        elif name not in scope.nonlocals:
            scope.locals.add(name)

    def _new_scope(self, node: ast.AST, kind: str) -> Scope:
        scope = Scope(kind, self.module, self.stack[-1])
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
        function = Function(node.name, node, scope, owner, decorators, _is_generator(node))
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
        scope.function = Function("<lambda>", node, scope)
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
        cls = Class(node.name, node, scope, dataclass="dataclass" in {_decorator_name(d) for d in node.decorator_list})
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
        self.bind(node.target.id, walrus_scope(self.stack[-1]))
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
        target = resolve_import(self.module, node.level, node.module)
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
        if name.split(".")[0] in SDK_PACKAGES:
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


def parent_packages(name: str) -> list[str]:
    """The packages importing ``name`` runs first (``a`` and ``a.b`` for ``a.b.c``)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def walrus_scope(scope: Scope) -> Scope:
    while scope.kind == "comprehension" and scope.parent is not None:
        scope = scope.parent
    return scope


def is_text(node: ast.expr | None) -> bool:
    """A string literal (a keyword's name in a literal ``**{...}``, a dict key)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def entry_point(program: Program, source_dir: Path, handler: str) -> tuple[Module, str]:
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
