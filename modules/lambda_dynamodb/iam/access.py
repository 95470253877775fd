"""Access levels: which DynamoDB actions a grantee gets, and on which resources.

The levels match AWS CDK's ``grantReadData`` / ``grantWriteData`` / ``grantReadWriteData`` so
users who know CDK can predict them. Explicit action lists are checked against the catalog in
:mod:`.dynamodb_actions`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from enum import Enum

from lambda_dynamodb.iam.dynamodb_actions import ACCOUNT_LEVEL_ACTIONS, DYNAMODB_ACTIONS
from lambda_dynamodb.config.errors import ConfigurationError, problem
from lambda_dynamodb.iam.policy import ANY_RESOURCE, Arn, Statement
from lambda_dynamodb.config.tokens import is_unresolved

# DescribeTable is in every level: SDKs and ORMs call it to learn the key schema.
_DESCRIBE = ("dynamodb:DescribeTable",)

#: Item reads. PartiQLSelect is left out: CDK's grantReadData does not grant it either, and a
#: PartiQL statement can scan a whole table in one call.
READ_ITEM_ACTIONS: tuple[str, ...] = (
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
)
#: Item writes. Table-level writes (UpdateTable, DeleteTable) stay out: a function that uses a
#: table must not be able to reshape or drop it.
WRITE_ITEM_ACTIONS: tuple[str, ...] = (
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)

READ_ACTIONS: tuple[str, ...] = READ_ITEM_ACTIONS + _DESCRIBE
WRITE_ACTIONS: tuple[str, ...] = WRITE_ITEM_ACTIONS + _DESCRIBE
READ_WRITE_ACTIONS: tuple[str, ...] = READ_ITEM_ACTIONS + WRITE_ITEM_ACTIONS + _DESCRIBE

#: The seven table actions of the reference walkthrough (no DeleteItem, no DescribeTable).
REFERENCE_ACTIONS: tuple[str, ...] = (
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)

WILDCARD_ACTIONS = frozenset({"*", "dynamodb:*"})

ACTION_RULE = "a DynamoDB action from the IAM catalog, written dynamodb:Name"


class Access(str, Enum):
    """The access levels a function can be granted on a table."""

    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"
    #: Exactly the actions the function's code calls, read from its source (see ``lambda_dynamodb.analysis``).
    FROM_CODE = "from_code"

    @property
    def actions(self) -> tuple[str, ...]:
        if self not in _LEVEL_ACTIONS:
            raise ConfigurationError([problem("access", self.value, FROM_CODE_RULE)])
        return _LEVEL_ACTIONS[self]


#: The levels whose actions are fixed (all but FROM_CODE).
FIXED_LEVELS: tuple[Access, ...] = (Access.READ, Access.WRITE, Access.READ_WRITE)
FROM_CODE_RULE = "its actions are read from the function's code: use it as the module's access, with check_code on"


_LEVEL_ACTIONS: dict[Access, tuple[str, ...]] = {
    Access.READ: READ_ACTIONS,
    Access.WRITE: WRITE_ACTIONS,
    Access.READ_WRITE: READ_WRITE_ACTIONS,
}


def action_problems(actions: Sequence[str], allow_wildcards: bool = False, field: str = "access") -> list[str]:
    """Problems with an explicit action list; empty when every action is a real DynamoDB action."""
    if not actions:
        return [problem(field, list(actions), "at least one DynamoDB action")]
    return [p for index, action in enumerate(actions) if (p := _action_problem(action, allow_wildcards, f"{field}[{index}]"))]


def _action_problem(action: object, allow_wildcards: bool, field: str) -> str | None:
    if not isinstance(action, str):
        return problem(field, action, "an action name string")
    if action in WILDCARD_ACTIONS:
        if allow_wildcards:
            return None
        return problem(field, action, "wildcards grant every current and future action; list the actions, or allow wildcards explicitly")
    if action in DYNAMODB_ACTIONS:
        return None
    guesses = difflib.get_close_matches(action, sorted(DYNAMODB_ACTIONS), n=1, cutoff=0.6)
    hint = f" (did you mean {guesses[0]!r}?)" if guesses else ""
    return problem(field, action, ACTION_RULE + hint)


ACCESS_RULE = f"one of {', '.join(level.value for level in Access)}, or a list of DynamoDB actions"


def access_problems(access: object, allow_wildcards: bool = False, field: str = "access") -> list[str]:
    """Problems with an access setting: a level (member or name) or a list of catalog actions."""
    if isinstance(access, (list, tuple)) and is_unresolved(access):
        return []  # an action list only Terraform knows: the Terraform module's variable checks it
    if isinstance(access, str):  # Access members are strings too
        return [] if access in {level.value for level in Access} else [problem(field, access, ACCESS_RULE)]
    if isinstance(access, (list, tuple)):
        return action_problems(access, allow_wildcards, field)
    return [problem(field, access, ACCESS_RULE)]


def resolve_actions(access: Access | Iterable[str], allow_wildcards: bool = False) -> tuple[str, ...]:
    """The action list an access setting stands for, in a stable order without duplicates."""
    if not isinstance(access, str):
        access = tuple(dict.fromkeys(access))
    problems = access_problems(access, allow_wildcards)
    if problems:
        raise ConfigurationError(problems)
    return Access(access).actions if isinstance(access, str) else access


def access_label(access: Access | Sequence[str]) -> str:
    """How messages name an access setting: ``access 'read'``, or ``the access list``."""
    return f"access {Access(access).value!r}" if isinstance(access, str) else "the access list"


def table_resources(table: Arn, has_indexes: bool) -> tuple[Arn, ...]:
    """The table, plus its indexes only when it has any (Query on an index targets that ARN)."""
    return (table, table.child("/index/*")) if has_indexes else (table,)


def table_statement(actions: Sequence[str], table: Arn, has_indexes: bool) -> Statement:
    return Statement(actions=tuple(actions), resources=table_resources(table, has_indexes))


def table_statements(actions: Sequence[str], table: Arn, has_indexes: bool) -> tuple[Statement, ...]:
    """The table's statement, and one on ``*`` for the account-level actions listed (ListTables):
    IAM authorizes those only on ``*``, so on the table's ARN they would grant nothing."""
    on_table = [a for a in actions if a not in ACCOUNT_LEVEL_ACTIONS]
    account = [a for a in actions if a in ACCOUNT_LEVEL_ACTIONS]
    found = (table_statement(on_table, table, has_indexes),) if on_table else ()
    return found + ((Statement(tuple(account), (ANY_RESOURCE,)),) if account else ())


#: What reading through a customer-managed table key needs (as CDK's grantReadData).
KEY_READ_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey")
#: What writing through it needs on top (as CDK's grantWriteData). kms:CreateGrant is left out:
#: DynamoDB creates its grants itself, with the table owner's permissions.
KEY_WRITE_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
#: Item-level actions that write, and so need the key's write actions.
_WRITING_ACTIONS = frozenset(WRITE_ITEM_ACTIONS) | {"dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"}


def key_actions(table_actions: Sequence[str]) -> tuple[str, ...]:
    """The KMS actions a grantee needs on a table's customer-managed key for ``table_actions``."""
    writes = any(a in _WRITING_ACTIONS or a in WILDCARD_ACTIONS for a in table_actions)
    return KEY_READ_ACTIONS + KEY_WRITE_ACTIONS if writes else KEY_READ_ACTIONS


def key_statement(table_actions: Sequence[str], key_arn: str) -> Statement:
    return Statement(actions=key_actions(table_actions), resources=(Arn.of(key_arn),))
