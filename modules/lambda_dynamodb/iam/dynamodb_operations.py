"""DynamoDB API operations and the IAM actions that authorize them, read from the SDK's models.

Which method is an API call, and which operation it sends, comes from botocore's service model
(client methods) and boto3's resource model (``Table`` and service-resource methods), never
from a hand-written table. Most operations are authorized by the IAM action of the same name;
the exceptions are the ones IAM authorizes by what is inside them:

- transactions (``TransactWriteItems``, ``TransactGetItems``): the item action of each entry,
  e.g. a ``Put`` entry needs ``dynamodb:PutItem``
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html);
- PartiQL (``ExecuteStatement``, ``BatchExecuteStatement``, ``ExecuteTransaction``): the
  ``PartiQL<Verb>`` action of each statement's verb
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html).

Used twice: statically (what code can call, see :mod:`lambda_dynamodb.analysis`) and at run time (the
action and resource of a request as it is sent, see :func:`request_permissions`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from lambda_dynamodb.iam.dynamodb_actions import DYNAMODB_ACTIONS, SERVICE_PREFIX

API_VERSION = "2012-08-10"
#: Client methods that send no request (botocore's BaseClient).
LOCAL_CLIENT_METHODS = frozenset(
    {"can_paginate", "close", "exceptions", "generate_presigned_url", "get_paginator", "get_waiter", "meta", "waiter_names"}
)
TRANSACTION_OPERATIONS = ("TransactWriteItems", "TransactGetItems")
PARTIQL_OPERATIONS = ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction")
#: A PartiQL statement's verb -> the action IAM checks for it.
PARTIQL_ACTIONS: dict[str, str] = {
    verb: f"{SERVICE_PREFIX}:PartiQL{verb.capitalize()}" for verb in ("SELECT", "INSERT", "UPDATE", "DELETE")
}


@cache
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(SERVICE_PREFIX, API_VERSION)


@cache
def client_operations() -> dict[str, str]:
    """Client method name (``put_item``) -> operation name (``PutItem``)."""
    from botocore import xform_name

    return {xform_name(name): name for name in service_model().operation_names}


@cache
def resource_model() -> dict[str, Any]:
    """boto3's resource model of DynamoDB (``resources-1.json``), loaded as boto3 loads it."""
    import boto3
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    loader.search_paths.append(os.path.join(os.path.dirname(boto3.__file__), "data"))
    return dict(loader.load_service_model(SERVICE_PREFIX, "resources-1", API_VERSION))


def _actions_of(definition: Mapping[str, Any]) -> dict[str, str]:
    from botocore import xform_name

    return {xform_name(name): action["request"]["operation"] for name, action in definition.get("actions", {}).items()}


@cache
def service_resource_operations() -> dict[str, str]:
    """``boto3.resource("dynamodb")`` method -> operation (batch_get_item, batch_write_item, create_table)."""
    return _actions_of(resource_model()["service"])


@cache
def table_operations() -> dict[str, str]:
    """``Table`` method -> operation: its actions, ``load``/``reload`` and its waiters."""
    from botocore import xform_name

    table = resource_model()["resources"]["Table"]
    operations = _actions_of(table)
    load = table["load"]["request"]["operation"]
    operations |= {"load": load, "reload": load}
    waiters = service_model_waiters()
    for name, waiter in table.get("waiters", {}).items():
        operations[f"wait_until_{xform_name(name)}"] = waiters[waiter["waiterName"]]
    return operations


@cache
def table_loaded_attributes() -> frozenset[str]:
    """``Table`` attributes read from DescribeTable: reading one loads the table (a call)."""
    from botocore import xform_name

    shape = service_model().shape_for(resource_model()["resources"]["Table"]["shape"])
    return frozenset(xform_name(member) for member in shape.members)


@cache
def service_model_waiters() -> dict[str, str]:
    """Waiter name -> the operation it polls."""
    import botocore.session

    waiters = botocore.session.get_session().get_waiter_model(SERVICE_PREFIX, API_VERSION)
    return {name: waiters.get_waiter(name).operation for name in waiters.waiter_names}


@cache
def transaction_entry_actions(operation: str) -> dict[str, str]:
    """The entries a transaction takes (``Put``, ``Update``, ...) -> the item action each needs."""
    shape = service_model().operation_model(operation).input_shape.members["TransactItems"].member
    return {entry: f"{SERVICE_PREFIX}:{entry}Item" for entry in shape.members}


def operation_actions(operation: str) -> tuple[str, ...]:
    """Every IAM action that can authorize ``operation`` (several for transactions and PartiQL)."""
    if operation in TRANSACTION_OPERATIONS:
        return tuple(transaction_entry_actions(operation).values())
    if operation in PARTIQL_OPERATIONS:
        return tuple(PARTIQL_ACTIONS.values())
    action = f"{SERVICE_PREFIX}:{operation}"
    if action not in DYNAMODB_ACTIONS:
        raise KeyError(f"{operation} has no IAM action of its name in the catalog")
    return (action,)


def operation_action(operation: str) -> str | None:
    """The one action of a plain operation; None for transactions and PartiQL (see above)."""
    if operation in TRANSACTION_OPERATIONS or operation in PARTIQL_OPERATIONS:
        return None
    return operation_actions(operation)[0]


_VERB = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_IDENTIFIER = r'(?:"((?:[^"]|"")+)"|([A-Za-z0-9_.-]+))'
_TARGET = re.compile(rf"\b(?:FROM|INTO|UPDATE)\s+{_IDENTIFIER}(?:\.{_IDENTIFIER})?", re.IGNORECASE)


def statement_action(statement: str) -> str | None:
    """The PartiQL action of a statement (``SELECT ...`` -> ``dynamodb:PartiQLSelect``)."""
    verb = _VERB.match(statement)
    return PARTIQL_ACTIONS[verb.group(1).upper()] if verb else None


def statement_target(statement: str) -> tuple[str, str | None] | None:
    """(table, index or None) a PartiQL statement reads or writes."""
    target = _TARGET.search(statement)
    if target is None:
        return None
    table = (target.group(1) or "").replace('""', '"') or target.group(2)
    index = target.group(3) or target.group(4)
    return table, (index.replace('""', '"') if index else None)


# --- a request as it is sent (run time) ------------------------------------------------------


@dataclass(frozen=True)
class ArnBase:
    """Partition, region and account the requests of one client go to."""

    partition: str
    region: str
    account: str

    def table(self, name: str, index: str | None = None) -> str:
        if name.startswith("arn:"):  # DynamoDB accepts a table ARN where it takes a name
            base = name
        else:
            base = f"arn:{self.partition}:{SERVICE_PREFIX}:{self.region}:{self.account}:table/{name}"
        return f"{base}/index/{index}" if index else base


@dataclass(frozen=True)
class Permission:
    """One (action, resource) pair IAM evaluates for a request."""

    action: str
    resource: str


def request_permissions(operation: str, params: Mapping[str, Any], arns: ArnBase) -> tuple[Permission, ...]:
    """Every (action, resource) IAM checks for one request of ``operation`` with ``params``."""
    return tuple(dict.fromkeys(_request_permissions(operation, params, arns)))


def _request_permissions(operation: str, params: Mapping[str, Any], arns: ArnBase) -> Iterator[Permission]:
    if operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params.get("RequestItems", {}):
            yield Permission(f"{SERVICE_PREFIX}:{operation}", arns.table(table))
    elif operation in TRANSACTION_OPERATIONS:
        entries = transaction_entry_actions(operation)
        for item in params.get("TransactItems", []):
            for entry, body in item.items():
                yield Permission(entries[entry], arns.table(body["TableName"]))
    elif operation in PARTIQL_OPERATIONS:
        for statement in _statements(operation, params):
            yield _statement_permission(statement, arns)
    elif "TableName" in params:
        yield Permission(f"{SERVICE_PREFIX}:{operation}", arns.table(params["TableName"], params.get("IndexName")))
    else:
        yield Permission(f"{SERVICE_PREFIX}:{operation}", params.get("ResourceArn") or params.get("BackupArn") or "*")


def _statements(operation: str, params: Mapping[str, Any]) -> list[str]:
    if operation == "ExecuteStatement":
        return [params["Statement"]]
    entries = params.get("Statements" if operation == "BatchExecuteStatement" else "TransactStatements", [])
    return [entry["Statement"] for entry in entries]


def _statement_permission(statement: str, arns: ArnBase) -> Permission:
    action = statement_action(statement) or f"{SERVICE_PREFIX}:PartiQL?"
    target = statement_target(statement)
    return Permission(action, arns.table(*target) if target else "*")


def other_service_permission(signing_name: str, operation: str) -> Permission:
    """A request to another service: its action by operation name, on any resource (``*``)."""
    return Permission(f"{signing_name}:{operation}", "*")


#: A secret's full ARN: Secrets Manager appends a hyphen and 6 random characters to its name
#: (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html).
_FULL_SECRET_ARN = re.compile(r"arn:[\w-]+:secretsmanager:[\w-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}")


def secret_permission(operation: str, params: Mapping[str, Any], arns: ArnBase, resolve: Callable[[str], str | None] | None = None) -> Permission:
    """A Secrets Manager request: ``secretsmanager:<operation>`` on the secret's full ARN.

    IAM evaluates a call that names a secret (``SecretId``: its name, a partial or a full ARN)
    against the secret's full ARN, whatever the caller passed, so a policy that grants
    GetSecretValue on one secret's ARN allows exactly that secret. A full ARN is that ARN;
    anything else is resolved by ``resolve`` (the enforcer asks Secrets Manager, unchecked);
    a name nothing resolves is checked as ``arn:...:secret:<name>``, which no grant of a full
    ARN allows (refused, as AWS refuses a secret the policy does not name). Calls naming no
    secret (ListSecrets, GetRandomPassword, CreateSecret's ``Name``) are checked against ``*``.
    """
    action = f"secretsmanager:{operation}"
    secret = params.get("SecretId")
    if not secret:
        return Permission(action, "*")
    secret = str(secret)
    if _FULL_SECRET_ARN.fullmatch(secret):
        return Permission(action, secret)
    resolved = resolve(secret) if resolve else None
    if resolved:
        return Permission(action, resolved)
    if secret.startswith("arn:"):
        return Permission(action, secret)
    return Permission(action, f"arn:{arns.partition}:secretsmanager:{arns.region}:{arns.account}:secret:{secret}")

