"""The SDK's rules: boto3 and botocore objects, their DynamoDB methods, and the requests they send.

From ``boto3.client("dynamodb")``, ``boto3.resource("dynamodb")``, sessions and botocore's
``create_client``, through ``Table(name)``, ``meta.client``, paginators, waiters, batch writers
and collections, to each method call: the operation the SDK's models say it sends, and the IAM
actions that authorize it (both from :mod:`lambda_dynamodb.iam.dynamodb_operations`, which reads
botocore's service model and boto3's resource model), on the table the code names (``env:X``, a
literal, or None) and the index it names. Batches and transactions are one call per table, each
with that table's actions (their entries read by :mod:`.entries`); PartiQL statements are read
for their action and table. A client or session with credentials of its own is not the
function's role: reported, never granted.

The seam: everything that depends on the SDK's API is here, so a change in boto3 touches only
this module and the models it reads.
"""

from __future__ import annotations

import ast
from functools import cache

from lambda_dynamodb.analysis.entries import EntryShapes
from lambda_dynamodb.analysis.program import Scope
from lambda_dynamodb.analysis.state import Args, Base, Site
from lambda_dynamodb.analysis.values import NOTHING, OTHER, PLACEHOLDER, UNKNOWN, Aws, BoundAttr, Kind, Str, Value, ref_value, table_ref
from lambda_dynamodb.iam import dynamodb_operations as ops


#: Keywords (and their positions) that give a session or client credentials of its own.
_CREDENTIALS = {"aws_access_key_id": (0, 6), "aws_secret_access_key": (1, 7), "aws_session_token": (2, 8), "profile_name": (5, None)}
#: boto3 collection methods (``resource.tables.all()``): each sends the collection's list request.
_COLLECTION_METHODS = frozenset({"all", "filter", "limit", "page_size", "pages", "iterator"})
#: Method names too common on other objects to suspect a DynamoDB call on an unknown receiver.
_GENERIC_NAMES = frozenset({"update", "delete", "load", "reload", "get", "close", "wait", "paginate", "all", "filter"})


@cache
def suspect_names() -> frozenset[str]:
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


def _statement_target(text: str) -> tuple[str | None, str | None]:
    target = ops.statement_target(text)
    if target is None:
        return None, None
    table, index = target
    return (None if PLACEHOLDER in table else table), ("*" if index and PLACEHOLDER in index else index)


def _index(operation: str, args: Args | None) -> str | None:
    """``IndexName``: the literal, ``*`` when given (or possibly given) but not literal, else None."""
    if args is not None and "IndexName" in args.keywords:
        value = args.keywords["IndexName"]
        return value.text if isinstance(value, Str) else "*"
    if (args is None or args.double_star) and _takes_index(operation):
        return "*"  # the arguments cannot be read: an index may be named
    return None


def _own_credentials(args: Args, method: str) -> bool:
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


class Sdk(Base):
    """The interpreter's rules for the SDK's objects and the requests they send."""

    def _aws_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        kind = receiver.kind
        if kind in (Kind.BOTO3, Kind.SESSION, Kind.SESSION_MODULE):
            return self._boto3_member(receiver, name, site, args)
        if kind in (Kind.BOTOCORE, Kind.BOTOCORE_SESSION_MODULE, Kind.BOTOCORE_SESSION):
            return self._botocore_member(receiver, name, site, args)
        if args is not None:
            self._escape(args.values())
        handlers = {
            Kind.CLIENT: self._client_member,
            Kind.RESOURCE: self._resource_member,
            Kind.TABLE: self._table_member,
            Kind.TABLES: self._tables_member,
            Kind.PAGINATOR: self._helper_member,
            Kind.WAITER: self._helper_member,
        }
        if kind in handlers:
            return handlers[kind](receiver, name, site, args)
        if kind == Kind.META and name == "client" and receiver.detail in ("resource", "table"):
            return Aws(Kind.CLIENT, receiver.own_credentials)
        return OTHER  # a batch writer's own put_item/delete_item: sent as its BatchWriteItem

    def _boto3_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        factory = name in ("client", "resource") and receiver.kind != Kind.SESSION_MODULE
        session = name == "Session" and receiver.kind != Kind.SESSION
        if (factory or session) and args is None:
            return BoundAttr(receiver, name)
        if factory and args is not None:
            return self._make(name, receiver.own_credentials or _own_credentials(args, name), site, args)
        if session and args is not None:
            return Aws(Kind.SESSION, _own_credentials(args, name))
        if name == "session" and receiver.kind == Kind.BOTO3:
            return Aws(Kind.SESSION_MODULE)
        if args is not None:
            self._escape(args.values())
        return OTHER

    def _botocore_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        if receiver.kind == Kind.BOTOCORE and name == "session":
            return Aws(Kind.BOTOCORE_SESSION_MODULE)
        makes = {Kind.BOTOCORE_SESSION_MODULE: ("get_session", "Session"), Kind.BOTOCORE_SESSION: ("create_client",)}
        if name not in makes.get(receiver.kind, ()):
            return OTHER
        if args is None:
            return BoundAttr(receiver, name)
        if receiver.kind == Kind.BOTOCORE_SESSION_MODULE:
            return Aws(Kind.BOTOCORE_SESSION)
        return self._make("client", _own_credentials(args, "create_client"), site, args)

    def _make(self, what: str, own: bool, site: Site, args: Args) -> Value:
        service = args.get("service_name", 0)
        if service == NOTHING:
            return NOTHING  # not known yet (or no service at all: a TypeError)
        if not isinstance(service, Str):
            self._unresolved(site, f"the service name is not a literal: which AWS service this boto3 {what} calls cannot be read")
            return UNKNOWN
        if service.text != ops.SERVICE_PREFIX:
            return OTHER  # another service: not this analysis' business
        return Aws(Kind.CLIENT if what == "client" else Kind.RESOURCE, own)

    def _client_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        operations = ops.client_operations()
        if name in operations:
            self._request(receiver, name, operations[name], site, args)
            return OTHER
        if name in ("get_paginator", "get_waiter"):
            return BoundAttr(receiver, name) if args is None else self._helper(receiver, name, site, args)
        if name == "meta":
            return Aws(Kind.META, receiver.own_credentials, "client")
        if name in ops.LOCAL_CLIENT_METHODS:
            return OTHER
        return self._missing("dynamodb client", name, site, args)

    def _missing(self, holder: str, name: str, site: Site, args: Args | None) -> Value:
        """A name the SDK object does not have (a typo): at run time, an AttributeError."""
        if name.startswith("_") or name == "get_available_subresources":
            return OTHER
        self._unresolved(site, f"{holder} has no {'attribute' if args is None else 'method'} {name}")
        return UNKNOWN

    def _helper(self, receiver: Aws, name: str, site: Site, args: Args) -> Value:
        paginator = name == "get_paginator"
        what = "paginator" if paginator else "waiter"
        name_value = args.get("operation_name" if paginator else "waiter_name", 0)
        if name_value == NOTHING:
            return NOTHING
        literal = name_value.text if isinstance(name_value, Str) else None
        if literal is None:
            self._unresolved(site, f"the {what} name is not a literal: which operation it sends cannot be read")
            return UNKNOWN
        operation = (ops.client_operations() if paginator else _waiter_operations()).get(literal)
        if operation is None:
            self._unresolved(site, f"dynamodb has no {what} {literal!r}")
            return UNKNOWN
        return Aws(Kind.PAGINATOR if paginator else Kind.WAITER, receiver.own_credentials, operation)

    def _helper_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        if name == ("paginate" if receiver.kind == Kind.PAGINATOR else "wait") and receiver.detail:
            self._request(receiver, name, receiver.detail, site, args)
        return OTHER

    def _resource_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        operations = ops.service_resource_operations()
        if name in operations:
            self._request(receiver, name, operations[name], site, args)
            return OTHER
        if name in _resource_subresources():
            if args is None:
                return BoundAttr(receiver, name)
            table_name = args.get("name", 0)
            if table_name == NOTHING:
                return NOTHING  # not known yet: "no literal name" would be a guess that sticks
            return Aws(Kind.TABLE, receiver.own_credentials, table_ref(table_name))
        if name in _resource_collections():
            return Aws(Kind.TABLES, receiver.own_credentials, _resource_collections()[name])
        if name == "meta":
            return Aws(Kind.META, receiver.own_credentials, "resource")
        return self._missing("a dynamodb service resource", name, site, args)

    def _table_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        operations = ops.table_operations()
        if name in operations:
            self._request(receiver, name, operations[name], site, args)
            return OTHER
        if name == "batch_writer":
            self._request(receiver, name, "BatchWriteItem", site, args)
            return Aws(Kind.BATCH_WRITER, receiver.own_credentials) if args is not None else OTHER
        if name in ops.table_loaded_attributes():
            self._request(receiver, name, "DescribeTable", site, Args())
            return OTHER
        if name == "meta":
            return Aws(Kind.META, receiver.own_credentials, "table")
        if name in _table_identifiers():
            return ref_value(receiver.detail)
        return self._missing("a dynamodb Table", name, site, args)

    def _tables_member(self, receiver: Aws, name: str, site: Site, args: Args | None) -> Value:
        if name not in _COLLECTION_METHODS:
            return OTHER
        if receiver.detail:  # the first method on the collection sends its list request
            self._request(receiver, name, receiver.detail, site, Args())
        return Aws(Kind.TABLES, receiver.own_credentials)

    def _request(self, receiver: Aws, method: str, operation: str, site: Site, args: Args | None) -> None:
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

    def _tables(self, receiver: Aws, operation: str, site: Site, args: Args | None) -> list[str | None]:
        if receiver.kind == Kind.TABLE:
            return [receiver.detail]
        if args is None:
            return [None]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            node = args.nodes.get("RequestItems")
            found = EntryShapes(self.program, site.scope).entries(node) if node is not None else None
            if not found or not all(items.keys for items, _ in found):
                return [None]
            names = {self._ref(key, scope) if key is not None else None for items, scope in found for key in items.keys}
            return sorted(names, key=lambda n: (n is not None, n or ""))
        return [table_ref(args.get("TableName"))]

    def _ref(self, node: ast.expr, scope: Scope) -> str | None:
        return table_ref(self._ev(node, scope))

    def _literal(self, node: ast.expr, scope: Scope) -> str | None:
        value = self._ev(node, scope)
        return value.text if isinstance(value, Str) else None

    def _transaction(self, method: str, operation: str, site: Site, args: Args | None) -> None:
        """One call per table of the transaction, with the item actions of that table's entries."""
        node = args.nodes.get("TransactItems") if args is not None else None
        entries = EntryShapes(self.program, site.scope).entries(node) if node is not None else None
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

    def _entry_table(self, body: ast.expr, scope: Scope) -> str | None:
        if not isinstance(body, ast.Dict):
            return None
        for key, value in zip(body.keys, body.values):
            if key is not None and self._literal(key, scope) == "TableName":
                return self._ref(value, scope)
        return None

    def _partiql(self, method: str, operation: str, site: Site, args: Args | None) -> None:
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

    def _statement_nodes(self, operation: str, args: Args | None) -> list[ast.expr] | None:
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
