"""Settings of the module: frozen dataclasses whose defaults come from :mod:`.defaults`.

Validation lives in :mod:`.validation`. Nothing here touches CDKTF, so settings can be built
and checked without loading the AWS provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Union

from lambda_dynamodb.config import defaults
from lambda_dynamodb.iam.access import Access
from lambda_dynamodb.config.enums import Architecture, AttributeType, DependencyPackaging, LogsMode, ProjectionType, Runtime, StreamViewType, TracingMode

__all__ = [
    "AccessSetting",
    "Attribute",
    "ExistingRole",
    "ExistingTable",
    "FunctionSettings",
    "GlobalIndex",
    "LambdaDynamoDbSettings",
    "LocalIndex",
    "RoleSettings",
    "TableSettings",
]


def _frozen_mapping(value: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Attribute:
    """A key attribute: only attributes used by the table's or an index's key are declared."""

    name: str
    type: AttributeType = AttributeType.STRING


def _default_attributes() -> tuple[Attribute, ...]:
    return tuple(Attribute(name, kind) for name, kind in defaults.ATTRIBUTE_TYPES)


@dataclass(frozen=True)
class GlobalIndex:
    name: str
    partition_key: str
    sort_key: str | None = None
    projection: ProjectionType = ProjectionType.ALL
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalIndex:
    name: str
    sort_key: str
    projection: ProjectionType = ProjectionType.ALL
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSettings:
    """A table the module creates. Safe defaults: on-demand, PITR, SSE, deletion protection."""

    name: str
    partition_key: str = defaults.PARTITION_KEY
    sort_key: str | None = defaults.SORT_KEY
    attributes: tuple[Attribute, ...] = field(default_factory=_default_attributes)
    global_indexes: tuple[GlobalIndex, ...] = ()
    local_indexes: tuple[LocalIndex, ...] = ()
    #: The attribute whose epoch-seconds value expires an item (TTL on), or None (TTL off).
    ttl_attribute: str | None = None
    #: The attribute TTL was on before, when turning it off: DynamoDB's UpdateTimeToLive needs its
    #: name to turn TTL off, and moving TTL to another attribute takes two deploys (see validation).
    previous_ttl_attribute: str | None = None
    stream: StreamViewType | None = None
    point_in_time_recovery: bool = True
    deletion_protection: bool = True
    #: Encryption at rest with this customer-managed KMS key instead of the AWS-managed key
    #: ``alias/aws/dynamodb``; grants then include the key actions the table actions need.
    kms_key_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=_frozen_mapping)

    @property
    def has_indexes(self) -> bool:
        return bool(self.global_indexes or self.local_indexes)


@dataclass(frozen=True)
class ExistingTable:
    """A table created elsewhere: the module only grants access to it.

    ``arn`` is optional; without it the ARN is built from the name in the stack's partition,
    region and account. ``has_indexes`` adds ``<table ARN>/index/*`` to the granted resources.
    """

    name: str
    arn: str | None = None
    has_indexes: bool = False
    kms_key_arn: str | None = None
    #: The table's key attribute names, passed to the function (``key_names_variable``).
    key_names: tuple[str, ...] = ()
    #: The table's stream ARN (``LatestStreamArn``), for a stream trigger on it.
    stream_arn: str | None = None


@dataclass(frozen=True)
class FunctionSettings:
    name: str
    source_dir: Path = defaults.SOURCE_DIR
    #: A built deployment package (.zip) to deploy as it is, instead of zipping ``source_dir``:
    #: a file path, or a Terraform expression (a module variable) that Terraform reads.
    package: str | Path | None = None
    handler: str = defaults.HANDLER
    runtime: Runtime = defaults.RUNTIME
    memory_mb: int = defaults.MEMORY_MB
    timeout_seconds: int = defaults.TIMEOUT_SECONDS
    architecture: Architecture = defaults.ARCHITECTURE
    #: ``Active``: Lambda sends traces to X-Ray, and the role is granted what that needs.
    tracing: TracingMode = defaults.TRACING
    #: Where the dependencies of ``source_dir/requirements.txt`` go (installed for the runtime and
    #: architecture): in the function's zip, or in a layer of their own.
    dependencies: DependencyPackaging = defaults.DEPENDENCY_PACKAGING
    #: Distributions Lambda's runtime provides, left out of the package (with what only they need).
    runtime_provided: tuple[str, ...] = defaults.RUNTIME_PROVIDED
    #: Glob patterns (relative to ``source_dir``, ``/``-separated) of files and folders left out of
    #: the package, on top of ``defaults.PACKAGE_EXCLUDES`` (secrets, VCS and interpreter files).
    exclude: tuple[str, ...] = ()
    table_name_variable: str = defaults.TABLE_NAME_VARIABLE
    #: The table's key attribute names go in this environment variable, comma-separated.
    key_names_variable: str = defaults.KEY_NAMES_VARIABLE
    environment: Mapping[str, str] = field(default_factory=_frozen_mapping)
    log_retention_days: int = defaults.LOG_RETENTION_DAYS
    #: Opt-in hardening (each off by default; see docs/security.md and docs/real-aws.md).
    #: Executions reserved for the function, out of the account's regional ``concurrency_quota``,
    #: of which Lambda keeps 100 unreserved.
    reserved_concurrency: int | None = None
    #: The account's regional Lambda concurrency quota (AWS's default 1000; new accounts may have 10).
    concurrency_quota: int = defaults.CONCURRENCY_QUOTA
    dead_letter_target_arn: str | None = None
    #: The customer-managed key the dead-letter queue or topic is encrypted with: Lambda then
    #: needs kms:GenerateDataKey and kms:Decrypt on it, which the role is granted.
    dead_letter_kms_key_arn: str | None = None
    environment_kms_key_arn: str | None = None
    #: Must be in the stack's region, with a key policy that lets CloudWatch Logs use it.
    log_kms_key_arn: str | None = None
    #: Adopt an existing ``/aws/lambda/<name>`` log group (a Terraform import) instead of failing to create it.
    import_log_group: bool = False
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    #: Needs ``package`` to be a zip signed with AWS Signer, and ``package_signed=True``.
    code_signing_config_arn: str | None = None
    #: ``package`` is signed (AWS Signer): what a code signing config with an Enforce policy needs.
    package_signed: bool = False
    tags: Mapping[str, str] = field(default_factory=_frozen_mapping)


@dataclass(frozen=True)
class RoleSettings:
    name: str
    policy_name: str
    path: str = defaults.IAM_PATH
    permissions_boundary_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=_frozen_mapping)


@dataclass(frozen=True)
class ExistingRole:
    """A role made elsewhere: the function runs as it, and its policy is attached to it."""

    name: str
    path: str = defaults.IAM_PATH


AccessSetting = Union[Access, tuple[str, ...]]


@dataclass(frozen=True)
class LambdaDynamoDbSettings:
    """Everything the composing construct needs; validated as a whole before anything is built."""

    table: TableSettings | ExistingTable
    function: FunctionSettings
    role: RoleSettings
    access: AccessSetting = defaults.ACCESS
    logs: LogsMode = LogsMode.SCOPED
    allow_wildcard_actions: bool = False
    #: Read the function's Python source for its DynamoDB calls: a call the grant does not cover
    #: fails synthesis, a granted action no code calls is a warning. Needs Python source in
    #: ``source_dir``: turn it off for a built ``package`` or another language.
    check_code: bool = defaults.CHECK_CODE
