"""The composing construct: validate, build, wire. Nothing else happens here."""

from __future__ import annotations

from constructs import Construct

from .function import Function
from .role import FunctionRole
from .settings import ExistingTable, LambdaDynamoDbSettings
from .table import ImportedTable, Table
from .validation import validate


class LambdaDynamoDb(Construct):
    """A Lambda function with exactly the access it needs to one DynamoDB table.

    Creates (or imports) the table, an IAM role trusted by Lambda with one customer-managed
    policy (the table actions of ``settings.access`` plus writing the function's own logs),
    the function's log group and the function. Every setting is validated first; a
    :class:`~lambda_dynamodb.errors.ConfigurationError` lists every problem at once.
    """

    def __init__(self, scope: Construct, id: str, settings: LambdaDynamoDbSettings) -> None:
        validate(settings)
        super().__init__(scope, id)
        self._settings = settings
        self._table = _table(self, settings)
        self._role = FunctionRole(self, "role", settings.role)
        # The table statement comes first, as in the reference policy.
        self._table.grant(self._role, settings.access, allow_wildcards=settings.allow_wildcard_actions)
        self._function = Function(
            self,
            "function",
            settings.function,
            role=self._role,
            table_name=settings.table.name,
            logs=settings.logs,
        )

    @property
    def settings(self) -> LambdaDynamoDbSettings:
        return self._settings

    @property
    def table(self) -> Table | ImportedTable:
        return self._table

    @property
    def role(self) -> FunctionRole:
        return self._role

    @property
    def function(self) -> Function:
        return self._function


def _table(scope: Construct, settings: LambdaDynamoDbSettings) -> Table | ImportedTable:
    if isinstance(settings.table, ExistingTable):
        return ImportedTable(settings.table)
    return Table(scope, "table", settings.table)
