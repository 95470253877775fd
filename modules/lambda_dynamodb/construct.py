"""The composing construct: validate, build, wire. Nothing else happens here."""

from __future__ import annotations

from cdktf import Annotations
from constructs import Construct

from .code_package import build
from .errors import raise_if_any
from .function import Function
from .permissions import PermissionPlan, is_checkable, permission_plan, unmet_needs
from .role import FunctionRole
from .settings import ExistingTable, LambdaDynamoDbSettings
from .table import ImportedTable, Table
from .validation import settings_problems


class LambdaDynamoDb(Construct):
    """A Lambda function with exactly the access it needs to one DynamoDB table.

    Creates (or imports) the table, an IAM role trusted by Lambda with one customer-managed
    policy (the table actions of ``settings.access``, plus what the Lambda service does with the
    role: writing the function's logs, sending its traces, ...), the function's log group and
    the function. Every setting is validated first, and the function's code is checked against
    the grant (see :mod:`.permissions`); a :class:`~lambda_dynamodb.errors.ConfigurationError`
    lists every problem at once. Granted actions nothing calls become synthesis warnings.
    """

    def __init__(self, scope: Construct, id: str, settings: LambdaDynamoDbSettings) -> None:
        # The settings' own rules first; then one permission plan, whose errors are the rest of
        # what validate() reports and whose warnings become annotations.
        raise_if_any(settings_problems(settings, permissions=False))
        plan = permission_plan(settings) if is_checkable(settings) else None
        raise_if_any(plan.errors if plan else ())
        # Built before any construct: a dependency without a wheel for Lambda, or a package over
        # Lambda's limits, fails here with nothing created.
        code = build(settings.function) if settings.function.package is None else None
        super().__init__(scope, id)
        self._settings = settings
        self._plan = plan
        self._table = _table(self, settings)
        self._role = FunctionRole(self, "role", settings.role)
        # The table statement comes first, as in the reference policy.
        access = plan.table_actions if plan else settings.access
        self._table.grant(self._role, access, allow_wildcards=settings.allow_wildcard_actions)
        self._function = Function(
            self,
            "function",
            settings.function,
            role=self._role,
            table_name=self._table.name,
            key_names=_key_names(settings),
            logs=settings.logs,
            code=code,
        )
        if plan:
            # What was built must allow every call the plan found (a guard against drift
            # between the plan and the constructs that emit the statements).
            raise_if_any(unmet_needs(self._role.document, plan.needs))
            for warning in plan.warnings:
                Annotations.of(self).add_warning(warning)

    @property
    def settings(self) -> LambdaDynamoDbSettings:
        return self._settings

    @property
    def permissions(self) -> PermissionPlan | None:
        """Every permission of the role with why it is there; None when access is a Terraform value."""
        return self._plan

    @property
    def table(self) -> Table | ImportedTable:
        return self._table

    @property
    def role(self) -> FunctionRole:
        return self._role

    @property
    def function(self) -> Function:
        return self._function


def _key_names(settings: LambdaDynamoDbSettings) -> str | None:
    """The table's key attribute names, comma-separated (None when an existing table's are not given)."""
    table = settings.table
    names = table.key_names if isinstance(table, ExistingTable) else (table.partition_key, table.sort_key)
    return ",".join(name for name in names if name) or None


def _table(scope: Construct, settings: LambdaDynamoDbSettings) -> Table | ImportedTable:
    if isinstance(settings.table, ExistingTable):
        return ImportedTable(settings.table)
    return Table(scope, "table", settings.table)
