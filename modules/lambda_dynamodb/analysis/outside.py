"""Code outside the folder: the standard library the analysis models, and the modelled libraries.

A call into a module outside the folder is unknown (its arguments escape) unless modelled: the
environment (``os.getenv``, ``os.environ.get``), dataclass field defaults, threads and executors
(which run the function they are given, with its arguments), and the libraries of
:mod:`.libraries`: Powertools' idempotency layer and parameters provider (their calls on the
table they are given) and PynamoDB models and indexes (their methods' requests on
``Meta.table_name``). What a third-party library is handed a table for, and is not modelled,
is reported as unresolved. The seam: :mod:`.libraries` holds the libraries' rules as data, from
their documentation; this module applies them to values.
"""

from __future__ import annotations

import ast
import sys

from lambda_dynamodb.analysis import libraries as libs
from lambda_dynamodb.analysis.program import SDK_PACKAGES, Class, is_text
from lambda_dynamodb.analysis.state import Args, Base, Site
from lambda_dynamodb.analysis.values import NOTHING, OTHER, UNKNOWN, ClassRef, Ext, Instance, Lib, Value, container, env, table_ref
from lambda_dynamodb.iam import dynamodb_operations as ops


#: Thread classes -> the function's keyword, and the positions of the function, its args and kwargs.
THREADS = {"threading.Thread": ("target", 1, 3, 4), "threading.Timer": ("function", 1, 2, 3)}
_EXECUTORS = frozenset(
    f"concurrent.futures{sub}.{name}" for sub in ("", ".thread", ".process") for name in ("ThreadPoolExecutor", "ProcessPoolExecutor")
)
#: Standard library names that are modelled (not unknown receivers).
_MODELLED_STDLIB = frozenset(
    {"os.environ", "os.getenv", "os.environ.get", "os.environ.setdefault", "dataclasses.field", *THREADS, *_EXECUTORS}
)


def _is_modelled(path: str) -> bool:
    return path in _MODELLED_STDLIB or path in libs.CONSTRUCTORS


def _is_third_party(path: str) -> bool:
    top = path.split(".")[0]
    return top not in sys.stdlib_module_names and top not in SDK_PACKAGES


def _takes_a_table(path: str, args: Args) -> bool:
    """A call into a third-party library that hands it a table (or a library class known to take one)."""
    if path in libs.UNMODELLED:
        return True
    return _is_third_party(path) and any(k in args.keywords for k in libs.TABLE_KEYWORDS)


def _call_name(path: str) -> str:
    """The name a library call is known by: the last part of its path (``upsert``, ``put_item``)."""
    return path.rpartition(".")[2] or path


def _has_hash_key(args: Args) -> bool:
    return bool(args.positional) or "hash_key" in args.keywords or args.starred or args.double_star


def _arg_node(args: Args, name: str, position: int) -> ast.expr | None:
    if position < len(args.positional_nodes):
        return args.positional_nodes[position]
    return args.nodes.get(name)


class Outside(Base):
    """The interpreter's rules for code outside the folder."""

    def _ext_member(self, receiver: Ext, name: str, site: Site, args: Args | None) -> Value:
        member = Ext(f"{receiver.path}.{name}")
        if args is not None:
            return self._ext_call(member, args, site)
        if not _is_modelled(member.path):
            self._unknown_receiver(name, site, False)
        return member

    def _ext_call(self, callee: Ext, args: Args, site: Site) -> Value:
        """A call into code outside the folder: modelled, or unknown (its arguments escape)."""
        path = callee.path
        if path in ("os.getenv", "os.environ.get", "os.environ.setdefault"):
            return env(args.get("key", 0))
        if path == "dataclasses.field":  # a dataclass field's default: what its factory returns
            factory = args.get("default_factory")
            return self._call_value(factory, Args(), site) if factory != NOTHING else args.get("default")
        if path in THREADS:
            return self._thread(args, *THREADS[path], site)
        if path in _EXECUTORS:
            self._escape(args.values())
            return Lib("executor")
        constructor = libs.CONSTRUCTORS.get(path)
        if constructor is not None:
            return self._library_object(constructor, path, args, site)
        if isinstance(site.node, ast.Attribute):  # a method of an object from outside: as unknown as before
            self._unknown_receiver(path.rpartition(".")[2], site, True)
        if _takes_a_table(path, args):
            self._unresolved(site, libs.unmodelled_reason(_call_name(path)))
        self._escape(args.values())
        # What a library returns is unknown, but still the library's: its methods are library calls.
        return Ext(f"{path}()") if _is_third_party(path) else UNKNOWN

    def _thread(self, args: Args, target_name: str, target_at: int, args_at: int, kwargs_at: int, site: Site) -> Value:
        """``Thread(target=f, args=..., kwargs=...)``: the thread runs ``f`` with them."""
        target = args.get(target_name, target_at)
        passed = Args()
        arguments = _arg_node(args, "args", args_at)
        if isinstance(arguments, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in arguments.elts):
            passed.positional = [self._ev(e, site.scope) for e in arguments.elts]
            passed.positional_nodes = list(arguments.elts)
        elif arguments is not None:
            passed.starred = True
        keywords = _arg_node(args, "kwargs", kwargs_at)
        if isinstance(keywords, ast.Dict) and all(is_text(k) for k in keywords.keys):
            for key, value in zip(keywords.keys, keywords.values):
                assert isinstance(key, ast.Constant)
                passed.keywords[str(key.value)] = self._ev(value, site.scope)
                passed.nodes[str(key.value)] = value
        elif keywords is not None:
            passed.double_star = True
        if target != NOTHING:
            self._call_value(target, passed, site)
        return OTHER

    def _lib_member(self, receiver: Lib, name: str, site: Site, args: Args | None) -> Value:
        if receiver.model == "executor":
            return self._executor_member(name, site, args)
        operation = libs.METHODS.get(receiver.model, {}).get(name)
        if operation is not None and args is not None:
            self._call(site, name, operation, ops.operation_actions(operation), receiver.table, None)
        elif args is not None:
            self._escape(args.values())
        return OTHER

    def _executor_member(self, name: str, site: Site, args: Args | None) -> Value:
        """``executor.submit(f, *args, **kwargs)`` and ``executor.map(f, *iterables)`` call ``f``."""
        if args is None or name not in ("submit", "map") or not args.positional:
            if args is not None:
                self._escape(args.values())
            return OTHER
        function = args.positional[0]
        if name == "submit":
            passed = Args(args.positional[1:], args.positional_nodes[1:], args.starred, args.keywords, args.nodes, args.double_star)
            self._call_value(function, passed, site)
            return OTHER  # a future: its result is not followed
        items = [self._iterate(v) for v in args.positional[1:]]
        return container(self._call_value(function, Args(items, args.positional_nodes[1:], args.starred), site))

    def _library_object(self, constructor: libs.Constructor, path: str, args: Args, site: Site) -> Value:
        table = args.get(constructor.table_keyword, constructor.table_position)
        self._escape(args.values())
        if table == NOTHING and not self.recording:
            return NOTHING  # not known yet; once recording, still a call (on a table it cannot name)
        ref = table_ref(table)
        if constructor.at_construction is not None:
            label, actions = constructor.at_construction
            self._call(site, path.rpartition(".")[2], label, actions, ref, None)
        return Lib(constructor.model, ref)

    def _library_base(self, cls: Class, bases: frozenset[str]) -> bool:
        return any(self.library_bases.get(c, set()) & bases for c in self._mro(cls))

    def _defined_in_code(self, cls: Class, name: str) -> bool:
        return any(name in c.methods or name in c.scope.locals or (c, name) in self.new.attrs for c in self._mro(cls))

    def _pynamodb_member(self, holder: Instance | ClassRef, name: str, site: Site, args: Args | None) -> Value | None:
        """A PynamoDB model's or index's method (``Order.get``, ``order.save``, ``Order.by_status.query``)."""
        cls = holder.cls
        if self._defined_in_code(cls, name):
            return None
        if self._library_base(cls, libs.PYNAMODB_MODELS) and (name in libs.PYNAMODB_MODEL_METHODS or name == "count"):
            return self._model_method(cls, name, site, args) if args is not None else OTHER
        if isinstance(holder, Instance) and self._library_base(cls, libs.PYNAMODB_INDEXES) and name in libs.PYNAMODB_INDEX_METHODS:
            return self._index_method(cls, name, site, args) if args is not None else OTHER
        return None

    def _model_method(self, cls: Class, name: str, site: Site, args: Args) -> Value:
        operations = libs.PYNAMODB_MODEL_METHODS.get(name) or (libs.pynamodb_count(_has_hash_key(args)),)
        self._escape(args.values())
        table = self._meta(cls, "table_name")
        for operation in operations:
            self._call(site, name, operation, ops.operation_actions(operation), table, None)
        if name in libs.PYNAMODB_RETURNS_ITEM:
            return Instance(cls)  # the item: its save/update/delete are the model's
        return container(Instance(cls)) if name in libs.PYNAMODB_RETURNS_ITEMS else OTHER

    def _index_method(self, cls: Class, name: str, site: Site, args: Args) -> Value:
        operation = libs.PYNAMODB_INDEX_METHODS[name]
        index = self._meta(cls, "index_name")
        literal_index = index if index and not index.startswith("env:") else "*"  # an index name is matched as written
        self._escape(args.values())
        for table in self._index_tables(cls):
            self._call(site, name, operation, ops.operation_actions(operation), table, literal_index)
        return container(OTHER)

    def _meta(self, cls: Class, name: str) -> str | None:
        """``class Meta: <name> = ...`` of a PynamoDB model or index (inherited from its bases)."""
        for owner in self._mro(cls):
            meta = self.new.names.get((owner.scope, "Meta"), NOTHING) if "Meta" in owner.scope.locals else NOTHING
            for holder in self._mro(meta.cls) if isinstance(meta, ClassRef) else []:  # Meta(Base.Meta) too
                value = self._class_attribute(holder, name)
                if value is not None:
                    return table_ref(value)
        return None

    def _index_tables(self, index: Class) -> list[str | None]:
        """The tables of the models that have ``index`` as an attribute (None if no model is found)."""
        tables: set[str | None] = set()
        for cls in self.program.classes.values():
            if not self._library_base(cls, libs.PYNAMODB_MODELS):
                continue
            if any(self.new.names.get((cls.scope, n)) == Instance(index) for n in cls.scope.locals):
                tables.add(self._meta(cls, "table_name"))
        return sorted(tables, key=lambda t: (t is not None, t or "")) or [None]
