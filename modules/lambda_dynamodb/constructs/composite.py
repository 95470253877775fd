"""The composing construct: one function, one table. Validate, build, wire; nothing else."""

from __future__ import annotations

from constructs import Construct

from lambda_dynamodb.packaging.code_package import build
from lambda_dynamodb.config.errors import raise_if_any
from lambda_dynamodb.constructs.function import Function
from lambda_dynamodb.constructs.names import claim
from lambda_dynamodb.iam.permissions import PermissionPlan, is_checkable, permission_plan
from lambda_dynamodb.constructs.role import FunctionRole
from lambda_dynamodb.config.settings import ExistingTable, LambdaDynamoDbSettings
from lambda_dynamodb.constructs.table import ImportedTable, Table
from lambda_dynamodb.config.validation import settings_problems


class LambdaDynamoDb(Construct):
    """A Lambda function with exactly the access it needs to one DynamoDB table.

    Creates (or imports) the table, an IAM role trusted by Lambda with one customer-managed
    policy (the table actions of ``settings.access``, plus what the Lambda service does with the
    role: writing the function's logs, sending its traces, ...), the function's log group and
    the function: a :class:`Table` and a :class:`Function` that ``use``\\ s it. Every setting is
    validated first, and the function's code is checked against the grant (see
    :mod:`.permissions`); a :class:`~lambda_dynamodb.config.errors.ConfigurationError` lists every
    problem at once. Granted actions nothing calls become synthesis warnings. Grants added to
    :attr:`function` later are checked when the app is synthesized, like any function's.
    """

    def __init__(self, scope: Construct, id: str, settings: LambdaDynamoDbSettings) -> None:
        raise_if_any(settings_problems(settings))
        # The problems no later grant can mend, before anything is created. (A call on another
        # table can be: a grant added after the constructor; the synthesis check judges it.)
        checkable = is_checkable(settings)
        early = permission_plan(settings) if checkable else None
        raise_if_any(sorted(set(early.errors) - set(early.late_errors)) if early else ())
        raise_if_any(claim(scope, id, _names(settings)))
        code = build(settings.function) if settings.function.package is None else None
        super().__init__(scope, id)
        self._settings = settings
        self._table = _table(self, settings)
        # The role keeps the path it has always had (its Terraform address is the state's key).
        self._role = FunctionRole(self, "role", settings.role)
        self._function = Function(
            self,
            "function",
            settings.function,
            role=self._role,
            logs=settings.logs,
            check_code=settings.check_code,
            code=code,
            _composite=True,
        )
        function = settings.function
        key_names = function.key_names_variable if self._table.key_names else None
        self._function.use(
            self._table,
            access=settings.access,
            env=function.table_name_variable,
            key_names_env=key_names,
            allow_wildcards=settings.allow_wildcard_actions,
        )

    @property
    def settings(self) -> LambdaDynamoDbSettings:
        return self._settings

    @property
    def permissions(self) -> PermissionPlan | None:
        """Every permission of the role with why it is there; None when access is a Terraform value."""
        return self._function.permissions

    @property
    def table(self) -> Table | ImportedTable:
        return self._table

    @property
    def role(self) -> FunctionRole:
        return self._role

    @property
    def function(self) -> Function:
        return self._function


def _names(settings: LambdaDynamoDbSettings) -> list[tuple[str, str, str]]:
    names = [
        ("function.name", "Lambda function", settings.function.name),
        ("role.name", "IAM role", settings.role.name),
        ("role.policy_name", "IAM policy", settings.role.policy_name),
    ]
    if not isinstance(settings.table, ExistingTable):
        names.insert(0, ("table.name", "DynamoDB table", settings.table.name))
    return names


def _table(scope: Construct, settings: LambdaDynamoDbSettings) -> Table | ImportedTable:
    if isinstance(settings.table, ExistingTable):
        return ImportedTable(settings.table)
    return Table(scope, "table", settings.table, _claimed=True)
