"""Members: ``receiver.name`` and ``receiver.name(...)`` on the code's own values.

An attribute is dispatched by the receiver's kind: a DynamoDB object's is the SDK's
(:mod:`.sdk`), an object from outside the folder's or a modelled library's is :mod:`.outside`'s;
here are the code's own: a class' methods and attributes along its method resolution order
(properties run, methods bind their instance or class), a module's names, a container's items.
A DynamoDB method name called on a value the analysis cannot follow, in code that uses boto3,
is reported as unresolved with the reason it cannot be followed.
"""

from __future__ import annotations

import ast

from lambda_dynamodb.analysis.program import Class, Function
from lambda_dynamodb.analysis.sdk import suspect_names
from lambda_dynamodb.analysis.state import Args, Base, Site
from lambda_dynamodb.analysis.values import (
    NOTHING,
    OTHER,
    UNKNOWN,
    Aws,
    ClassRef,
    Container,
    Env,
    Ext,
    Functions,
    Instance,
    Lib,
    ModuleRef,
    Value,
    container,
    join,
)


_NO_CALLERS = (
    "no call the analysis can follow passes it (it is called from outside the analysed files, or through a value it cannot follow)"
)
_DIFFERENT_CALLERS = "its callers pass values of different or unknown kinds"
_STRIPS = frozenset({"strip", "lstrip", "rstrip"})


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


class Members(Base):
    """The interpreter's rules for members of the code's own values."""

    def _member(self, receiver: Value, name: str, site: Site, args: Args | None) -> Value:
        """``receiver.name`` (``args`` is None) or ``receiver.name(args)``."""
        if isinstance(receiver, Aws):
            return self._aws_member(receiver, name, site, args)
        if isinstance(receiver, (Instance, ClassRef)):
            modelled = self._pynamodb_member(receiver, name, site, args)
            if modelled is not None:
                return modelled
            value = self._class_member(receiver, name)
            if value == UNKNOWN:
                self._unknown_receiver(name, site, args is not None)
            return value if args is None else self._call_value(value, args, site)
        if isinstance(receiver, ModuleRef):
            value = self._module_member(receiver.name, name)
            return value if args is None else self._call_value(value, args, site)
        if isinstance(receiver, Container):
            return self._container_member(receiver, name, args)
        if isinstance(receiver, Ext):
            return self._ext_member(receiver, name, site, args)
        if isinstance(receiver, Lib):
            return self._lib_member(receiver, name, site, args)
        if isinstance(receiver, Env) and name in _STRIPS and args is not None and not args.values():
            return receiver  # the variable holds the table's name as set: stripping it changes nothing
        if receiver == NOTHING:
            return NOTHING
        if args is not None:
            self._escape(args.values())
        if receiver == UNKNOWN:
            self._unknown_receiver(name, site, args is not None)
            return UNKNOWN
        return OTHER

    def _container_member(self, receiver: Container, name: str, args: Args | None) -> Value:
        if args is None:
            return OTHER
        if name in ("get", "pop", "setdefault"):
            default = args.positional[1] if len(args.positional) > 1 else NOTHING
            return join(receiver.element, default)
        if name == "values":
            return container(receiver.element)
        if name == "copy":
            return receiver
        self._escape(args.values())
        return UNKNOWN

    def _class_member(self, holder: Instance | ClassRef, name: str) -> Value:
        for cls in self._mro(holder.cls):
            method = cls.methods.get(name)
            if method is not None:
                return self._method(method, holder, cls)
            attribute = self._class_attribute(cls, name)
            if attribute is not None:
                return attribute
        # Not (yet) assigned: while values are still rising it may be later in this round.
        return NOTHING if self.optimistic else UNKNOWN

    def _class_attribute(self, cls: Class, name: str) -> Value | None:
        values = [self.new.attrs[key] for key in [(cls, name)] if key in self.new.attrs]
        if name in cls.scope.locals:
            values.append(self.new.names.get((cls.scope, name), NOTHING))
        if not values:
            return None
        result = NOTHING
        for value in values:
            result = join(result, value)
        return result

    def _method(self, method: Function, holder: Instance | ClassRef, cls: Class) -> Value:
        if method.is_property:
            return self._call_function(method, Args(), holder) if isinstance(holder, Instance) else OTHER
        if method.is_static:
            return Functions(frozenset({method}))
        if method.is_classmethod:
            return Functions(frozenset({method}), ClassRef(holder.cls))
        return Functions(frozenset({method}), holder) if isinstance(holder, Instance) else Functions(frozenset({method}))

    def _mro(self, cls: Class) -> list[Class]:
        if cls not in self.bases:
            self.bases[cls] = [cls]  # guards a class that (wrongly) inherits from itself
            order = [cls]
            parent = cls.scope.parent or cls.scope
            for base in cls.node.bases:
                value = self._ev(base, parent)
                if isinstance(value, ClassRef):
                    order += [c for c in self._mro(value.cls) if c not in order]
                elif isinstance(value, Ext):  # a library's class (a PynamoDB Model): see _pynamodb_member
                    self.library_bases.setdefault(cls, set()).add(value.path)
            self.bases[cls] = order
        return self.bases[cls]

    def _unknown_receiver(self, name: str, site: Site, called: bool) -> None:
        """A DynamoDB method name on a value the analysis cannot follow, in code that uses boto3."""
        if name not in suspect_names() or not site.module.boto_aware:
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
