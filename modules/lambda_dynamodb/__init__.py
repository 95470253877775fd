"""CDKTF constructs for Lambda functions with least-privilege access to DynamoDB tables.

Settings, access levels and the policy model are plain Python and import quickly; the
constructs (which load the AWS provider bindings), the permission plan and :func:`validate`
(which read the function's code with the code analysis) are imported on first use.

Importing the package first turns fast provider loading on (:mod:`.fast_provider`), before
anything can import ``cdktf_cdktf_provider_aws``: that is the one thing done on import, because
it only works before the provider is imported (after, a :class:`SlowProviderWarning` says so).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# First, before anything that could import cdktf_cdktf_provider_aws. stacklevel 3: a warning
# names the line that imported lambda_dynamodb (after the provider), not this one.
from lambda_dynamodb import fast_provider

fast_provider.install(stacklevel=3)

from lambda_dynamodb._version import __version__
from lambda_dynamodb.fast_provider import SlowProviderWarning
from lambda_dynamodb.iam.access import READ_ACTIONS, READ_WRITE_ACTIONS, REFERENCE_ACTIONS, WRITE_ACTIONS, Access
from lambda_dynamodb.config.enums import (
    Architecture,
    AttributeType,
    DependencyPackaging,
    FunctionUrlAuth,
    LogsMode,
    ProjectionType,
    Runtime,
    StartingPosition,
    StreamViewType,
    TracingMode,
)
from lambda_dynamodb.config.errors import ConfigurationError
from lambda_dynamodb.iam.policy import ArnContext, PolicyDocument, Statement
from lambda_dynamodb.config.settings import (
    Attribute,
    ExistingRole,
    ExistingTable,
    FunctionSettings,
    GlobalIndex,
    LambdaDynamoDbSettings,
    LocalIndex,
    RoleSettings,
    TableSettings,
)
from lambda_dynamodb.config.triggers import Cors, FunctionUrl, QueueTrigger, StreamTrigger

if TYPE_CHECKING:
    from lambda_dynamodb.iam.permissions import PermissionPlan, PermissionRow, Verdict, permission_plan, validate
    from lambda_dynamodb.constructs.checks import check
    from lambda_dynamodb.constructs.composite import LambdaDynamoDb
    from lambda_dynamodb.constructs.function import Function
    from lambda_dynamodb.constructs.role import FunctionRole
    from lambda_dynamodb.constructs.table import ImportedTable, Table

#: Constructs and what reads the function's code, by the submodule that defines them (imported
#: on first attribute access: the provider bindings and the code analysis take a while to load).
_LAZY = {
    "LambdaDynamoDb": "constructs.composite",
    "Function": "constructs.function",
    "FunctionRole": "constructs.role",
    "Table": "constructs.table",
    "ImportedTable": "constructs.table",
    "check": "constructs.checks",
    "PermissionPlan": "iam.permissions",
    "PermissionRow": "iam.permissions",
    "Verdict": "iam.permissions",
    "permission_plan": "iam.permissions",
    "validate": "iam.permissions",
}

__all__ = [
    "__version__",
    "Cors",
    "ExistingRole",
    "FunctionUrl",
    "FunctionUrlAuth",
    "QueueTrigger",
    "StartingPosition",
    "StreamTrigger",
    "check",
    "READ_ACTIONS",
    "READ_WRITE_ACTIONS",
    "REFERENCE_ACTIONS",
    "WRITE_ACTIONS",
    "Access",
    "Architecture",
    "ArnContext",
    "Attribute",
    "AttributeType",
    "ConfigurationError",
    "DependencyPackaging",
    "ExistingTable",
    "Function",
    "FunctionRole",
    "FunctionSettings",
    "GlobalIndex",
    "ImportedTable",
    "LambdaDynamoDb",
    "LambdaDynamoDbSettings",
    "LocalIndex",
    "LogsMode",
    "PermissionPlan",
    "PermissionRow",
    "PolicyDocument",
    "ProjectionType",
    "RoleSettings",
    "Runtime",
    "SlowProviderWarning",
    "Statement",
    "StreamViewType",
    "Table",
    "TableSettings",
    "TracingMode",
    "Verdict",
    "permission_plan",
    "validate",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
