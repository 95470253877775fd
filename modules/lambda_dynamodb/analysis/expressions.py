"""Expressions and calls: the value of each expression, and what a call passes and returns.

Constants, names, attributes, f-strings (a literal text when every part is), containers,
comprehensions, lambdas, subscripts (``os.environ[...]`` is the variable's value), boolean and
conditional expressions, ``yield``; then calls: the arguments are read (positional, keyword,
literal ``**{...}``), a call of the code's own function binds its parameters and gives its result,
a class call builds an instance (its ``__init__``, a dataclass' fields, a Thread's ``run``), and
a function handed to code the analysis does not see *escapes*: its callers are unknown.
Attribute access on a value is :mod:`.members`' (and the SDK's, :mod:`.sdk`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from lambda_dynamodb.analysis.outside import THREADS
from lambda_dynamodb.analysis.program import Class, Function, Scope, is_text, walrus_scope
from lambda_dynamodb.analysis.state import Args, Base, Site
from lambda_dynamodb.analysis.values import (
    DYNAMODB_KINDS,
    ENVIRON,
    NOTHING,
    OTHER,
    PLACEHOLDER,
    STRINGS,
    UNKNOWN,
    Aws,
    BoundAttr,
    ClassRef,
    Container,
    Ext,
    Functions,
    Instance,
    Kind,
    Lib,
    Nothing,
    Str,
    Value,
    container,
    env,
    join,
    plain,
)


_DYNAMIC = "the method name is in a variable: which DynamoDB call it makes cannot be read"


class Expressions(Base):
    """The interpreter's rules for expressions and calls."""

    def _ev(self, node: ast.expr, scope: Scope) -> Value:  # noqa: C901 - one branch per expression kind
        if isinstance(node, ast.Constant):
            return Str(node.value) if isinstance(node.value, str) else NOTHING if node.value is None else OTHER
        if isinstance(node, ast.Name):
            return self._lookup(scope, node.id)
        if isinstance(node, ast.Attribute):
            receiver = self._ev(node.value, scope)
            return self._member(receiver, node.attr, Site(scope.module, node, scope, node.value), None)
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
            if value == ENVIRON:
                return env(subscript)
            return self._item(value)
        if isinstance(node, ast.BoolOp):
            result = NOTHING
            for operand in node.values:
                result = join(result, self._ev(operand, scope))
            return result
        if isinstance(node, ast.IfExp):
            self._ev(node.test, scope)
            return join(self._ev(node.body, scope), self._ev(node.orelse, scope))
        if isinstance(node, ast.NamedExpr):
            value = self._ev(node.value, scope)
            target_scope = self._store_scope(walrus_scope(scope), node.target.id)
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
            value = self._ev(node.value, scope) if node.value is not None else NOTHING
            if scope.function is not None and scope.function.generator:
                item = self._iterate(value) if isinstance(node, ast.YieldFrom) else value
                self.new.returns[scope.function] = join(self.new.returns.get(scope.function, NOTHING), item)
            return UNKNOWN
        for child in ast.iter_child_nodes(node):  # comparisons, unary operators, slices...
            if isinstance(child, ast.expr):
                self._ev(child, scope)
        return OTHER if isinstance(node, (ast.Compare, ast.UnaryOp)) else UNKNOWN

    def _collection(self, values: list[Value], mapping: bool = False) -> Value:
        element = NOTHING
        for value in values:
            element = join(element, value)
        return container(element, mapping)

    def _binop(self, node: ast.BinOp, scope: Scope) -> Value:
        left, right = self._ev(node.left, scope), self._ev(node.right, scope)
        if isinstance(node.op, ast.Add) and isinstance(left, Str) and isinstance(right, Str):
            return Str(left.text + right.text)
        if isinstance(left, Container) and isinstance(right, Container):
            return join(left, right)
        return plain(left, right)

    def _joined(self, node: ast.JoinedStr, scope: Scope) -> Value:
        parts = [self._ev(part.value, scope) for part in node.values if isinstance(part, ast.FormattedValue)]
        if NOTHING in parts:
            return NOTHING
        text = self._template(node, scope)
        return OTHER if text is None or PLACEHOLDER in text else Str(text)

    def _template(self, node: ast.expr, scope: Scope) -> str | None:
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
                    literal = isinstance(value, Str) and part.conversion == -1 and part.format_spec is None
                    parts.append(value.text if literal and isinstance(value, Str) else PLACEHOLDER)
            return "".join(parts)
        value = self._ev(node, scope)
        return value.text if isinstance(value, Str) else None

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: Scope) -> Value:
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
        return container(element, isinstance(node, ast.DictComp))

    def _lambda(self, node: ast.Lambda, scope: Scope) -> Value:
        function = self.program.functions[node]
        self._defaults(node.args, scope)
        self._as_owner(function, lambda: self._returns(function.scope, self._ev(node.body, function.scope)))
        return Functions(frozenset({function}))

    def _item(self, value: Value) -> Value:
        """``value[key]``."""
        if isinstance(value, Container):
            return value.element
        return self._iterate(value)

    def _iterate(self, value: Value) -> Value:
        """What iterating (or unpacking) ``value`` gives."""
        if isinstance(value, Container):
            return OTHER if value.mapping else value.element
        if isinstance(value, Aws) and value.kind == Kind.TABLES:
            return Aws(Kind.TABLE, value.own_credentials)
        if isinstance(value, (*STRINGS, Nothing)):
            return OTHER if value != NOTHING else NOTHING
        return UNKNOWN

    def _enter(self, value: Value) -> Value:
        """What ``with value as name`` binds."""
        if isinstance(value, (Aws, Lib)):
            return value
        if isinstance(value, Container):  # a @contextmanager generator: what it yields
            return value.element
        if isinstance(value, Instance):
            return self._call_value(self._class_member(value, "__enter__"), Args(), None)
        return plain(value)

    def _args(self, node: ast.Call, scope: Scope) -> Args:
        args = Args()
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
            elif isinstance(keyword.value, ast.Dict) and all(is_text(k) for k in keyword.value.keys):
                for key, value in zip(keyword.value.keys, keyword.value.values):
                    assert isinstance(key, ast.Constant)
                    args.keywords[str(key.value)] = self._ev(value, scope)
                    args.nodes[str(key.value)] = value
            else:
                self._escape([self._ev(keyword.value, scope)])
                args.double_star = True
        return args

    def _ev_call(self, node: ast.Call, scope: Scope) -> Value:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self._ev(func.value, scope)
            return self._member(receiver, func.attr, Site(scope.module, func, scope, func.value), self._args(node, scope))
        taken = self._getattr_literal(func, scope)
        if taken is not None:
            receiver, name, getattr_node = taken
            return self._member(receiver, name, Site(scope.module, getattr_node, scope, getattr_node.args[0]), self._args(node, scope))
        if isinstance(func, ast.Name) and func.id == "getattr" and self._is_builtin(scope, "getattr") and len(node.args) >= 2:
            return self._getattr(node, scope)
        callee = self._ev(func, scope)
        return self._call_value(callee, self._args(node, scope), Site(scope.module, node, scope))

    def _getattr_literal(self, func: ast.expr, scope: Scope) -> tuple[Value, str, ast.Call] | None:
        """``getattr(x, "name")`` in the callee position: the receiver and the literal name."""
        if not (isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "getattr" and len(func.args) >= 2):
            return None
        if not self._is_builtin(scope, "getattr"):
            return None
        name = func.args[1]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            return None
        return self._ev(func.args[0], scope), name.value, func

    def _getattr(self, node: ast.Call, scope: Scope) -> Value:
        receiver = self._ev(node.args[0], scope)
        name = self._ev(node.args[1], scope)
        for extra in node.args[2:]:
            self._ev(extra, scope)
        site = Site(scope.module, node, scope, node.args[0])
        if name == NOTHING:
            return NOTHING
        if isinstance(name, Str):
            return self._member(receiver, name.text, site, None)
        if isinstance(receiver, Aws) and receiver.kind in DYNAMODB_KINDS:
            self._unresolved(site, _DYNAMIC)
        return UNKNOWN

    def _call_value(self, callee: Value, args: Args, site: Site | None) -> Value:
        if isinstance(callee, Functions):
            result = NOTHING
            for function in callee.functions:
                result = join(result, self._call_function(function, args, callee.bound))
            return result
        if isinstance(callee, ClassRef):
            return self._construct(callee.cls, args)
        if isinstance(callee, BoundAttr) and site is not None:
            return self._aws_member(callee.receiver, callee.name, site, args)
        if isinstance(callee, Ext) and site is not None:
            return self._ext_call(callee, args, site)
        if callee == NOTHING:
            return NOTHING  # not known yet: whether its arguments escape is decided later
        self._escape(args.values())
        return OTHER if isinstance(callee, STRINGS) else UNKNOWN

    def _call_function(self, function: Function, args: Args, bound: Value | None) -> Value:
        self._runs(function)
        if not self._is_reached():
            # A call from code the handler never runs: it neither reaches the function nor
            # gives its parameters values (they would block or grant what never happens).
            result = self.new.returns.get(function, NOTHING)
            return container(result) if function.generator else result
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
                value = UNKNOWN
            elif name in defaults:
                value = self._ev(defaults[name], parent)
            else:
                value = NOTHING
            self.new.bind(function.scope, name, value)
        result = self.new.returns.get(function, NOTHING)
        return container(result) if function.generator else result

    def _construct(self, cls: Class, args: Args) -> Value:
        instance = Instance(cls)
        init = next((c.methods["__init__"] for c in self._mro(cls) if "__init__" in c.methods), None)
        if init is not None:
            self._call_function(init, args, instance)
        elif cls.dataclass:
            for position, name in enumerate(cls.fields):
                value = args.positional[position] if position < len(args.positional) else args.keywords.get(name, NOTHING)
                self._bind_attribute(instance, name, value)
        elif not self.optimistic:  # by then its base classes are known: the __init__ is not ours
            self._escape(args.values())
        run = next((c.methods["run"] for c in self._mro(cls) if "run" in c.methods), None)
        if run is not None and self._library_base(cls, frozenset(THREADS)):
            self._call_function(run, Args(), instance)  # a Thread subclass: start() runs its run()
        return instance

    def _escape(self, values: Iterable[Value]) -> None:
        """Functions handed to code the analysis does not see: their callers are unknown."""
        for value in values:
            if isinstance(value, Functions):
                for function in value.functions:
                    self._runs(function)  # reached if the place that hands it over is reached
                if self._is_reached():
                    self.new.escaped.update(value.functions)
            elif isinstance(value, Container) and not value.mapping:
                # A dict handed over (sorted(), len(), json) is mostly read for its keys.
                self._escape([value.element])
