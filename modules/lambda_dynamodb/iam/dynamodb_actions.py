"""Every IAM action of the DynamoDB service (Service Authorization Reference, 2026).

Explicit action lists are checked against this catalog so that a typo such as
``dynamodb:PutItems`` fails at synth time instead of silently granting nothing.
"""

from __future__ import annotations

SERVICE_PREFIX = "dynamodb"

_NAMES = """
BatchGetItem BatchWriteItem ConditionCheckItem CreateBackup CreateGlobalTable CreateTable
CreateTableReplica DeleteBackup DeleteItem DeleteResourcePolicy DeleteTable DeleteTableReplica
DescribeBackup DescribeContinuousBackups DescribeContributorInsights DescribeEndpoints
DescribeExport DescribeGlobalTable DescribeGlobalTableSettings DescribeImport
DescribeKinesisStreamingDestination DescribeLimits DescribeReservedCapacity
DescribeReservedCapacityOfferings DescribeStream DescribeTable DescribeTableReplicaAutoScaling
DescribeTimeToLive DisableKinesisStreamingDestination EnableKinesisStreamingDestination
ExportTableToPointInTime GetAbacStatus GetItem GetRecords GetResourcePolicy GetShardIterator ImportTable
ListBackups ListContributorInsights ListExports ListGlobalTables ListImports ListStreams
ListTables ListTagsOfResource PartiQLDelete PartiQLInsert PartiQLSelect PartiQLUpdate
PurchaseReservedCapacityOfferings PutItem PutResourcePolicy Query RestoreTableFromAwsBackup
RestoreTableFromBackup RestoreTableToPointInTime Scan StartAwsBackupJob TagResource
UntagResource UpdateAbacStatus UpdateContinuousBackups UpdateContributorInsights UpdateGlobalTable
UpdateGlobalTableSettings UpdateGlobalTableVersion UpdateItem UpdateKinesisStreamingDestination
UpdateTable UpdateTableReplicaAutoScaling UpdateTimeToLive
"""

DYNAMODB_ACTIONS: frozenset[str] = frozenset(f"{SERVICE_PREFIX}:{name}" for name in _NAMES.split())


def _actions(names: str) -> frozenset[str]:
    return frozenset(f"{SERVICE_PREFIX}:{name}" for name in names.split())


#: Actions that have no resource-level permissions (the Service Authorization Reference lists
#: only ``*`` for them): granted on ``*`` when listed, since IAM ignores a table ARN for them.
ACCOUNT_LEVEL_ACTIONS: frozenset[str] = _actions(
    """
    DescribeEndpoints DescribeLimits DescribeReservedCapacity DescribeReservedCapacityOfferings
    GetAbacStatus ListBackups ListContributorInsights ListExports ListGlobalTables ListImports
    ListStreams ListTables PurchaseReservedCapacityOfferings UpdateAbacStatus
    """
)

#: Control-plane actions: they create, reshape, back up, restore, tag or drop tables and their
#: policies, rather than read or write items. ``from_code`` never grants them: a function that
#: does this must say so with an explicit list (the Write, Permissions management and Tagging
#: levels of the Service Authorization Reference, less the item writes).
CONTROL_PLANE_ACTIONS: frozenset[str] = _actions(
    """
    CreateBackup CreateGlobalTable CreateTable CreateTableReplica DeleteBackup DeleteResourcePolicy
    DeleteTable DeleteTableReplica DisableKinesisStreamingDestination EnableKinesisStreamingDestination
    ExportTableToPointInTime ImportTable PurchaseReservedCapacityOfferings PutResourcePolicy
    RestoreTableFromAwsBackup RestoreTableFromBackup RestoreTableToPointInTime StartAwsBackupJob
    TagResource UntagResource UpdateAbacStatus UpdateContinuousBackups UpdateContributorInsights
    UpdateGlobalTable UpdateGlobalTableSettings UpdateGlobalTableVersion UpdateKinesisStreamingDestination
    UpdateTable UpdateTableReplicaAutoScaling UpdateTimeToLive
    """
)
