"""The DynamoDB table, and grants of access to it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTableLocalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from constructs import Construct

from lambda_dynamodb.iam.access import READ_ACTIONS, READ_WRITE_ACTIONS, WRITE_ACTIONS, Access, access_label, key_statement, resolve_actions, table_statements
from lambda_dynamodb.iam.permissions import GrantKind
from lambda_dynamodb.config.errors import raise_if_any
from lambda_dynamodb.constructs.names import claim
from lambda_dynamodb.iam.policy import Arn, Statement, table_arn
from lambda_dynamodb.config.enums import AttributeType, ProjectionType, StreamViewType
from lambda_dynamodb.config.settings import ExistingTable, GlobalIndex, LocalIndex, TableSettings
from lambda_dynamodb.config.tokens import literal, literal_map, terraform_value

#: On-demand capacity: no throughput to size, no throttling from a too-small guess.
BILLING_MODE = "PAY_PER_REQUEST"


class Grantee(Protocol):
    """Anything whose permissions can grow: a function or its role."""

    def record(self, statements: tuple[Statement, ...], granted_by: str, kind: GrantKind) -> tuple[Statement, ...]: ...


class _TableGrants:
    """Grants on a table; subclasses say which table (``table_name``, ``_arn``, ``has_indexes``)."""

    table_name: str
    has_indexes: bool
    kms_key_arn: str | None
    #: The key attribute names, for the variable ``Function.use(key_names_env=...)`` sets.
    key_names: tuple[str, ...]
    _arn: Arn

    @property
    def arn_model(self) -> Arn:
        """The table's ARN as the policy model writes it (known at plan time)."""
        return self._arn

    def stream_resource(self) -> Arn:
        """The table's streams: what a stream trigger's poller reads. The stream's own ARN ends
        in a label DynamoDB picks when the stream is enabled, so the policy names the table's
        streams (``table/<name>/stream/*``) and stays known at plan time."""
        return self._arn.child("/stream/*")

    def grant_read_data(self, grantee: Grantee) -> Statement:
        """Grants BatchGetItem, GetItem, Query, Scan, ConditionCheckItem and DescribeTable.

        With a customer-managed key, also kms:Decrypt and kms:DescribeKey on it.
        """
        return self._grant(grantee, READ_ACTIONS)

    def grant_write_data(self, grantee: Grantee) -> Statement:
        """Grants BatchWriteItem, PutItem, UpdateItem, DeleteItem and DescribeTable.

        With a customer-managed key, also kms:Decrypt, kms:DescribeKey, kms:Encrypt,
        kms:ReEncrypt* and kms:GenerateDataKey* on it.
        """
        return self._grant(grantee, WRITE_ACTIONS)

    def grant_read_write_data(self, grantee: Grantee) -> Statement:
        """Grants every action of :meth:`grant_read_data` and :meth:`grant_write_data`."""
        return self._grant(grantee, READ_WRITE_ACTIONS)

    def grant(self, grantee: Grantee, access: Access | Iterable[str], *, allow_wildcards: bool = False) -> Statement:
        """Grants the actions of an access level, or an explicit list of catalog-checked actions.

        Account-level actions in the list (``dynamodb:ListTables``) get a statement on ``*`` of
        their own: IAM authorizes them on nothing else. Returns the table's statement.
        """
        label = access_label(access) if isinstance(access, str) else "an access list"
        return self._grant(grantee, resolve_actions(access, allow_wildcards), label)

    def _grant(self, grantee: Grantee, actions: tuple[str, ...], label: str | None = None) -> Statement:
        statements = table_statements(actions, self._arn, self.has_indexes)
        key = (key_statement(actions, self.kms_key_arn),) if self.kms_key_arn else ()
        granted_by = f"{self.table_name}.grant({label or 'an access list'})"
        grantee.record(statements + key, granted_by, GrantKind.TABLE)
        return statements[0]


class Table(Construct, _TableGrants):
    """A DynamoDB table with safe defaults: on-demand, PITR, SSE and deletion protection on."""

    def __init__(self, scope: Construct, id: str, settings: TableSettings, *, _claimed: bool = False) -> None:
        from lambda_dynamodb.config.validation import table_problems, with_type_problems

        raise_if_any(with_type_problems(list(table_problems(settings)), settings, "table"))
        if not _claimed:  # the composite claims its names with its other names
            raise_if_any(claim(scope, id, [("table.name", "DynamoDB table", settings.name)]))
        super().__init__(scope, id)
        self.table_name = settings.name
        self.has_indexes = settings.has_indexes
        self.kms_key_arn = settings.kms_key_arn
        self.key_names = tuple(name for name in (settings.partition_key, settings.sort_key) if name)
        self._stream = settings.stream is not None
        self._arn = table_arn(settings.name)
        self._resource = DynamodbTable(self, "table", **_table_arguments(settings))

    @property
    def resource(self) -> DynamodbTable:
        return self._resource

    @property
    def name(self) -> str:
        """The table's name as a reference to the resource: users of it depend on the table."""
        return self._resource.name

    @property
    def arn(self) -> str:
        return self._resource.arn

    @property
    def has_stream(self) -> bool:
        return self._stream

    @property
    def stream_arn(self) -> str | None:
        """The stream's ARN (``LatestStreamArn``), a reference; None without a stream."""
        return self._resource.stream_arn if self._stream else None


class ImportedTable(_TableGrants):
    """A table managed elsewhere: grants, uses and triggers, no resource.

    Checked like every setting: the name, an ARN that is a DynamoDB table's (or a Terraform
    value), a stream ARN of that table.
    """

    def __init__(self, settings: ExistingTable) -> None:
        from lambda_dynamodb.config.validation import existing_table_problems, with_type_problems

        raise_if_any(with_type_problems(existing_table_problems(settings), settings, "table"))
        self.table_name = settings.name
        self.has_indexes = settings.has_indexes
        self.kms_key_arn = settings.kms_key_arn
        self.key_names = tuple(settings.key_names)
        self._settings = settings
        self._arn = Arn.of(settings.arn) if settings.arn else table_arn(settings.name)

    @property
    def resource(self) -> None:
        return None

    @property
    def name(self) -> str:
        return self.table_name

    @property
    def arn(self) -> str | None:
        """The given ARN (None when only the name was given: policies then build it in the
        stack's partition, region and account)."""
        return self._settings.arn

    @property
    def has_stream(self) -> bool:
        return self._settings.stream_arn is not None

    @property
    def stream_arn(self) -> str | None:
        return self._settings.stream_arn


def _table_arguments(settings: TableSettings) -> dict[str, object]:
    arguments: dict[str, object] = {
        "name": settings.name,
        "billing_mode": BILLING_MODE,
        "hash_key": literal(settings.partition_key),
        "range_key": literal(settings.sort_key) if settings.sort_key is not None else None,
        "attribute": [DynamodbTableAttribute(name=literal(a.name), type=terraform_value(AttributeType, a.type)) for a in settings.attributes],
        "point_in_time_recovery": DynamodbTablePointInTimeRecovery(enabled=settings.point_in_time_recovery),
        # Encryption at rest. Without a key ARN, `enabled = true` means the AWS-managed key
        # alias/aws/dynamodb (KMS, in the account); `enabled = false` would be the AWS-owned key.
        "server_side_encryption": DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=settings.kms_key_arn),
        "deletion_protection_enabled": settings.deletion_protection,
        "global_secondary_index": [_global_index(i) for i in settings.global_indexes] or None,
        "local_secondary_index": [_local_index(i) for i in settings.local_indexes] or None,
        "tags": literal_map(settings.tags),
    }
    arguments["ttl"] = _ttl(settings)
    if settings.stream:
        arguments["stream_enabled"] = True
        arguments["stream_view_type"] = StreamViewType(settings.stream).value
    return arguments


def _ttl(settings: TableSettings) -> DynamodbTableTtl:
    """Always explicit: a missing ``ttl`` block leaves TTL as it is, so removing the setting
    would leave TTL on. Turning it off names the attribute it was on, which DynamoDB's
    UpdateTimeToLive needs (the provider sends the configured name); off from the start needs none.
    """
    if settings.ttl_attribute:
        return DynamodbTableTtl(attribute_name=literal(settings.ttl_attribute), enabled=True)
    if settings.previous_ttl_attribute:
        return DynamodbTableTtl(attribute_name=literal(settings.previous_ttl_attribute), enabled=False)
    return DynamodbTableTtl(enabled=False)


def _global_index(index: GlobalIndex) -> DynamodbTableGlobalSecondaryIndex:
    return DynamodbTableGlobalSecondaryIndex(
        name=index.name,
        hash_key=literal(index.partition_key),
        range_key=literal(index.sort_key) if index.sort_key is not None else None,
        projection_type=ProjectionType(index.projection).value,
        non_key_attributes=[literal(name) for name in index.non_key_attributes] or None,
    )


def _local_index(index: LocalIndex) -> DynamodbTableLocalSecondaryIndex:
    return DynamodbTableLocalSecondaryIndex(
        name=index.name,
        range_key=literal(index.sort_key),
        projection_type=ProjectionType(index.projection).value,
        non_key_attributes=[literal(name) for name in index.non_key_attributes] or None,
    )
