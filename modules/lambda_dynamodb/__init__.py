"""CDKTF constructs for Lambda functions with least-privilege access to DynamoDB tables.

Settings, access levels, the policy model and validation are plain Python and import
quickly; the constructs (which load the AWS provider bindings) are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from lambda_dynamodb._version import __version__
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
from lambda_dynamodb.iam.permissions import PermissionPlan, PermissionRow, Verdict, permission_plan
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
from lambda_dynamodb.config.validation import validate

if TYPE_CHECKING:
    from lambda_dynamodb.constructs.checks import check
    from lambda_dynamodb.constructs.composite import LambdaDynamoDb
    from lambda_dynamodb.constructs.function import Function
    from lambda_dynamodb.constructs.role import FunctionRole
    from lambda_dynamodb.constructs.table import ImportedTable, Table

#: Constructs, by the submodule that defines them (imported on first attribute access).
_CONSTRUCTS = {
    "LambdaDynamoDb": "constructs.composite",
    "Function": "constructs.function",
    "FunctionRole": "constructs.role",
    "Table": "constructs.table",
    "ImportedTable": "constructs.table",
    "check": "constructs.checks",
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
    if name in _CONSTRUCTS:
        return getattr(import_module(f".{_CONSTRUCTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
