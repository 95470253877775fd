"""Names and imports: which value a name has where it is read, and what an import binds and runs.

Python's scoping, on the scopes the binder found (:mod:`.program`): a name is looked up in its
function, the enclosing functions (not class bodies), the module, and the modules it star-imports;
an assignment goes to the scope ``global`` and ``nonlocal`` say. An import binds an analysed
module (:class:`~.values.ModuleRef`), boto3 or botocore (:class:`~.values.Aws`), or a module
outside the folder by its path (:class:`~.values.Ext`), and records that the importing code runs
the imported module's code (for reachability).
"""

from __future__ import annotations

import ast

from lambda_dynamodb.analysis.program import Module, SDK_PACKAGES, Scope, parent_packages, resolve_import
from lambda_dynamodb.analysis.state import Base, Site
from lambda_dynamodb.analysis.values import Aws, Ext, Kind, ModuleRef, NOTHING, OTHER, UNKNOWN, Value


class Names(Base):
    """The interpreter's rules for names and imports."""

    def _store_scope(self, scope: Scope, name: str) -> Scope:
        if name in scope.globals:
            return scope.module.scope
        if name in scope.nonlocals:
            outer = scope.parent
            while outer is not None and (outer.kind != "function" or name not in outer.locals):
                outer = outer.parent
            return outer or scope.module.scope
        return scope

    def _run_module(self, name: str | None) -> None:
        if name is None:
            return
        for module_name in [*parent_packages(name), name]:
            if module_name in self.program.modules:
                self._runs(self.program.modules[module_name])

    def _import(self, node: ast.Import, scope: Scope) -> None:
        for alias in node.names:
            self._run_module(alias.name)
            if alias.asname:
                self.new.bind(self._store_scope(scope, alias.asname), alias.asname, self._module_value(alias.name))
            else:
                first = alias.name.split(".")[0]
                self.new.bind(self._store_scope(scope, first), first, self._module_value(first))

    def _import_from(self, node: ast.ImportFrom, scope: Scope) -> None:
        source = resolve_import(scope.module, node.level, node.module)
        self._run_module(source)
        for alias in node.names:
            if source is not None:
                self._run_module(f"{source}.{alias.name}")
            if alias.name == "*":
                continue
            name = alias.asname or alias.name
            value = UNKNOWN if source is None else self._imported(source, alias.name, scope, node)
            self.new.bind(self._store_scope(scope, name), name, value)

    def _imported(self, source: str, name: str, scope: Scope, node: ast.AST) -> Value:
        if self.program.is_module(f"{source}.{name}"):
            return ModuleRef(f"{source}.{name}")
        module = self._module_value(source)
        if isinstance(module, ModuleRef):
            return self._module_member(module.name, name)
        if isinstance(module, Aws):
            return self._aws_member(module, name, Site(scope.module, node, scope), None)
        if isinstance(module, Ext):
            return Ext(f"{module.path}.{name}")
        return module

    def _module_value(self, name: str) -> Value:
        if self.program.is_module(name):
            return ModuleRef(name)
        known = {"boto3": Kind.BOTO3, "boto3.session": Kind.SESSION_MODULE, "botocore": Kind.BOTOCORE}
        known["botocore.session"] = Kind.BOTOCORE_SESSION_MODULE
        if name in known:
            return Aws(known[name])
        return OTHER if name.split(".")[0] in SDK_PACKAGES else Ext(name)

    def _lookup(self, scope: Scope, name: str) -> Value:
        current: Scope | None = scope
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
                return self.new.names.get((current, name), NOTHING)
            current, first = current.parent, False
        return self._global(scope.module, name, set())  # from a star import, or a builtin (unknown)

    def _global(self, module: Module, name: str, seen: set[str]) -> Value:
        if name in module.scope.locals:
            return self.new.names.get((module.scope, name), NOTHING)
        for source in module.star_imports:
            other = self.program.modules[source]
            if source not in seen and not name.startswith("_"):
                value = self._global(other, name, seen | {source})
                if value != UNKNOWN:
                    return value
        return UNKNOWN

    def _is_builtin(self, scope: Scope, name: str) -> bool:
        current: Scope | None = scope
        while current is not None:
            if name in current.locals:
                return False
            current = current.parent
        return not any(name in self.program.modules[s].scope.locals for s in scope.module.star_imports)

    def _module_member(self, module_name: str, name: str) -> Value:
        if self.program.is_module(f"{module_name}.{name}"):
            return ModuleRef(f"{module_name}.{name}")
        module = self.program.modules.get(module_name)
        return UNKNOWN if module is None else self._global(module, name, set())
