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

from .access import READ_ACTIONS, READ_WRITE_ACTIONS, WRITE_ACTIONS, Access, key_statement, resolve_actions, table_statement
from .policy import Arn, Statement, table_arn
from .enums import AttributeType, ProjectionType, StreamViewType
from .settings import ExistingTable, GlobalIndex, LocalIndex, TableSettings
from .tokens import terraform_value

#: On-demand capacity: no throughput to size, no throttling from a too-small guess.
BILLING_MODE = "PAY_PER_REQUEST"


class Grantee(Protocol):
    """Anything whose permissions can grow: a function or its role."""

    def add_statements(self, *statements: Statement) -> None: ...


class _TableGrants:
    """Grants on a table; subclasses say which table (``table_name``, ``_arn``, ``has_indexes``)."""

    table_name: str
    has_indexes: bool
    kms_key_arn: str | None
    _arn: Arn

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
        """Grants the actions of an access level, or an explicit list of catalog-checked actions."""
        return self._grant(grantee, resolve_actions(access, allow_wildcards))

    def _grant(self, grantee: Grantee, actions: tuple[str, ...]) -> Statement:
        statement = table_statement(actions, self._arn, self.has_indexes)
        key = (key_statement(actions, self.kms_key_arn),) if self.kms_key_arn else ()
        grantee.add_statements(statement, *key)
        return statement


class Table(Construct, _TableGrants):
    """A DynamoDB table with safe defaults: on-demand, PITR, SSE and deletion protection on."""

    def __init__(self, scope: Construct, id: str, settings: TableSettings) -> None:
        super().__init__(scope, id)
        self.table_name = settings.name
        self.has_indexes = settings.has_indexes
        self.kms_key_arn = settings.kms_key_arn
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


class ImportedTable(_TableGrants):
    """A table managed elsewhere: grants only, no resource."""

    def __init__(self, settings: ExistingTable) -> None:
        self.table_name = settings.name
        self.has_indexes = settings.has_indexes
        self.kms_key_arn = settings.kms_key_arn
        self._arn = Arn.of(settings.arn) if settings.arn else table_arn(settings.name)

    @property
    def resource(self) -> None:
        return None

    @property
    def name(self) -> str:
        return self.table_name


def _table_arguments(settings: TableSettings) -> dict[str, object]:
    arguments: dict[str, object] = {
        "name": settings.name,
        "billing_mode": BILLING_MODE,
        "hash_key": settings.partition_key,
        "range_key": settings.sort_key,
        "attribute": [DynamodbTableAttribute(name=a.name, type=terraform_value(AttributeType, a.type)) for a in settings.attributes],
        "point_in_time_recovery": DynamodbTablePointInTimeRecovery(enabled=settings.point_in_time_recovery),
        # Encryption at rest. Without a key ARN, `enabled = true` means the AWS-managed key
        # alias/aws/dynamodb (KMS, in the account); `enabled = false` would be the AWS-owned key.
        "server_side_encryption": DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=settings.kms_key_arn),
        "deletion_protection_enabled": settings.deletion_protection,
        "global_secondary_index": [_global_index(i) for i in settings.global_indexes] or None,
        "local_secondary_index": [_local_index(i) for i in settings.local_indexes] or None,
        "tags": dict(settings.tags) or None,
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
        return DynamodbTableTtl(attribute_name=settings.ttl_attribute, enabled=True)
    if settings.previous_ttl_attribute:
        return DynamodbTableTtl(attribute_name=settings.previous_ttl_attribute, enabled=False)
    return DynamodbTableTtl(enabled=False)


def _global_index(index: GlobalIndex) -> DynamodbTableGlobalSecondaryIndex:
    return DynamodbTableGlobalSecondaryIndex(
        name=index.name,
        hash_key=index.partition_key,
        range_key=index.sort_key,
        projection_type=ProjectionType(index.projection).value,
        non_key_attributes=list(index.non_key_attributes) or None,
    )


def _local_index(index: LocalIndex) -> DynamodbTableLocalSecondaryIndex:
    return DynamodbTableLocalSecondaryIndex(
        name=index.name,
        range_key=index.sort_key,
        projection_type=ProjectionType(index.projection).value,
        non_key_attributes=list(index.non_key_attributes) or None,
    )
