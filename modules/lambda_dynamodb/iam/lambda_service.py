"""What the Lambda service itself does with a function's execution role, by function setting.

Besides the function's code, Lambda calls AWS with the execution role for a few features; each
call is a :class:`Requirement` (action, resource, why) and the role is granted exactly these:

- logs: Lambda writes the function's output to its log group (CreateLogStream, PutLogEvents)
  https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
- tracing ``Active``: Lambda sends trace segments and telemetry to X-Ray. X-Ray actions have no
  resource-level permissions, so ``*``. Without them real Lambda refuses to create or update
  the function ("The provided execution role does not have permissions to call
  PutTraceSegments on XRAY", serverless/serverless#6931); the local emulator does not check.
  https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
- VPC: Lambda creates, describes and deletes the function's network interfaces (the actions of
  AWSLambdaVPCAccessExecutionRole) https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
- dead-letter target: Lambda sends failed asynchronous events there (sqs:SendMessage or
  sns:Publish) https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html;
  a target encrypted with a customer-managed key also needs kms:GenerateDataKey and kms:Decrypt on
  that key (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html)
- environment key: Lambda decrypts the environment variables with it (kms:Decrypt)
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
- stream trigger: Lambda polls the table's stream with the role (DescribeStream, GetRecords,
  GetShardIterator on the stream, ListStreams, which has no resource-level permission in the
  Service Authorization Reference, on ``*``); a failed batch's records go to the on-failure
  destination (sqs:SendMessage or sns:Publish)
  https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions
  https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
- queue trigger: Lambda receives, deletes and reads the attributes of the queue's messages
  with the role, and decrypts them with the queue's customer-managed key (kms:Decrypt)
  https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions

Nothing else of the function's configuration needs the role: a log group's KMS key is used by
CloudWatch Logs (through the key policy), code signing is checked by Lambda at deploy,
reserved concurrency, layers and function URLs need no permission of the role (a URL's callers
need lambda:InvokeFunctionUrl on the function: their permission, or the function's resource
policy for a public URL, https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lambda_dynamodb.config.enums import LogsMode, TracingMode
from lambda_dynamodb.iam.policy import ANY_RESOURCE, Arn, Statement, account_logs_arn, log_group_streams_arn
from lambda_dynamodb.config.settings import FunctionSettings

#: What Lambda needs to write the function's logs into a log group that already exists.
#: CreateLogGroup is left out: the module creates the group (with its retention) itself.
LOG_WRITE_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
#: The reference's extra statement: lets the function create any log group, which only works
#: on ``*`` (the action has no resource-level permissions). Lambda does not need it here.
LOG_GROUP_CREATE_ACTIONS: tuple[str, ...] = ("logs:CreateLogGroup",)
#: What Lambda sends for an ``Active`` trace (the write half of AWSXRayDaemonWriteAccess; the
#: sampling-rule reads are left out: Lambda samples itself, its X-Ray daemon does not ask).
TRACING_ACTIONS: tuple[str, ...] = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
#: What Lambda needs to attach a function to a VPC (the AWSLambdaVPCAccessExecutionRole actions),
#: split by what they can be scoped to: describing only works on ``*``; the rest is limited to
#: network interfaces and to the function's own subnets and security groups.
VPC_DESCRIBE_ACTIONS: tuple[str, ...] = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
VPC_INTERFACE_ACTIONS: tuple[str, ...] = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
#: Decrypting the function's environment variables with a customer-managed key.
ENVIRONMENT_KEY_ACTIONS: tuple[str, ...] = ("kms:Decrypt",)
#: Sending a failed asynchronous event to the dead-letter target, by its service.
DEAD_LETTER_ACTIONS: dict[str, tuple[str, ...]] = {"sqs": ("sqs:SendMessage",), "sns": ("sns:Publish",)}
#: Sending to a target encrypted with a customer-managed key: the sender makes the data key.
DEAD_LETTER_KEY_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKey", "kms:Decrypt")

#: What Lambda's poller does with the role on a table's stream (AWSLambdaDynamoDBExecutionRole's
#: stream actions), split by scope: ListStreams only works on ``*``.
STREAM_READ_ACTIONS: tuple[str, ...] = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
STREAM_LIST_ACTIONS: tuple[str, ...] = ("dynamodb:ListStreams",)
#: What Lambda's poller does with the role on an SQS queue (AWSLambdaSQSQueueExecutionRole).
#: sqs:ChangeMessageVisibility is left out: Lambda's SQS poller does not call it with the role.
QUEUE_ACTIONS: tuple[str, ...] = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
#: Reading messages of a queue encrypted with a customer-managed key.
QUEUE_KEY_ACTIONS: tuple[str, ...] = ("kms:Decrypt",)

NETWORK_INTERFACES = Arn("ec2", "network-interface/*")


class Feature(str, Enum):
    """What of the function's configuration makes Lambda call with the role."""

    LOGS = "logs"
    TRACING = "tracing"
    VPC = "vpc"
    ENVIRONMENT_KEY = "environment key"
    DEAD_LETTERS = "dead letters"
    STREAM_TRIGGER = "stream trigger"
    QUEUE_TRIGGER = "queue trigger"


@dataclass(frozen=True)
class Requirement:
    """One call the Lambda service makes with the execution role."""

    action: str
    resource: Arn
    #: Why Lambda makes it, e.g. "Lambda sends traces to X-Ray (tracing Active)".
    reason: str
    feature: Feature


@dataclass(frozen=True)
class ServiceUse:
    """The function settings Lambda acts on, as plain values (from settings, or as deployed)."""

    log_group: str
    tracing: TracingMode = TracingMode.ACTIVE
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    dead_letter_target_arn: str | None = None
    dead_letter_kms_key_arn: str | None = None
    environment_kms_key_arn: str | None = None

    @classmethod
    def of(cls, settings: FunctionSettings) -> ServiceUse:
        return cls(
            log_group=log_group_name(settings.name),
            tracing=TracingMode(settings.tracing),
            subnet_ids=tuple(settings.subnet_ids),
            security_group_ids=tuple(settings.security_group_ids),
            dead_letter_target_arn=settings.dead_letter_target_arn,
            dead_letter_kms_key_arn=settings.dead_letter_kms_key_arn,
            environment_kms_key_arn=settings.environment_kms_key_arn,
        )

    @classmethod
    def deployed(cls, configuration: Mapping[str, Any]) -> ServiceUse:
        """From Lambda's ``GetFunctionConfiguration`` answer: what the deployed function uses."""
        vpc = configuration.get("VpcConfig") or {}
        logging = configuration.get("LoggingConfig") or {}
        return cls(
            log_group=logging.get("LogGroup") or log_group_name(configuration["FunctionName"]),
            tracing=TracingMode((configuration.get("TracingConfig") or {}).get("Mode", TracingMode.PASS_THROUGH.value)),
            subnet_ids=tuple(vpc.get("SubnetIds") or ()),
            security_group_ids=tuple(vpc.get("SecurityGroupIds") or ()),
            dead_letter_target_arn=(configuration.get("DeadLetterConfig") or {}).get("TargetArn"),
            environment_kms_key_arn=configuration.get("KMSKeyArn"),
        )


def log_group_name(function_name: str) -> str:
    """The log group Lambda writes a function's logs to by default."""
    return f"/aws/lambda/{function_name}"


def requirements(use: ServiceUse) -> tuple[Requirement, ...]:
    """Every call Lambda makes with the role for ``use``, in the order of the module's statements."""
    streams = Arn("logs", f"log-group:{use.log_group}:log-stream:*")
    found = _each(LOG_WRITE_ACTIONS, streams, f"Lambda writes the function's logs to {use.log_group}", Feature.LOGS)
    if use.tracing is TracingMode.ACTIVE:
        found += _each(TRACING_ACTIONS, ANY_RESOURCE, "Lambda sends traces to X-Ray (tracing Active)", Feature.TRACING)
    if use.subnet_ids:
        found += _vpc_requirements(use.subnet_ids, use.security_group_ids)
    if use.environment_kms_key_arn:
        key = Arn.of(use.environment_kms_key_arn)
        found += _each(ENVIRONMENT_KEY_ACTIONS, key, "Lambda decrypts the environment with its KMS key", Feature.ENVIRONMENT_KEY)
    if use.dead_letter_target_arn:
        actions = DEAD_LETTER_ACTIONS[_service(use.dead_letter_target_arn)]
        why = "Lambda sends failed asynchronous events to the dead-letter target"
        found += _each(actions, Arn.of(use.dead_letter_target_arn), why, Feature.DEAD_LETTERS)
    if use.dead_letter_target_arn and use.dead_letter_kms_key_arn:
        why = "Lambda encrypts dead letters with the target's KMS key"
        found += _each(DEAD_LETTER_KEY_ACTIONS, Arn.of(use.dead_letter_kms_key_arn), why, Feature.DEAD_LETTERS)
    return tuple(found)


def _each(actions: tuple[str, ...], resource: Arn, reason: str, feature: Feature) -> list[Requirement]:
    return [Requirement(action, resource, reason, feature) for action in actions]


def _vpc_requirements(subnet_ids: tuple[str, ...], security_group_ids: tuple[str, ...]) -> list[Requirement]:
    why = "Lambda manages the function's network interfaces in its VPC"
    found = _each(VPC_DESCRIBE_ACTIONS, ANY_RESOURCE, why, Feature.VPC)
    # Creating an interface is authorized on the interface, its subnet and its security groups.
    for resource in (NETWORK_INTERFACES, *_subnets(subnet_ids), *_security_groups(security_group_ids)):
        found += _each(("ec2:CreateNetworkInterface",), resource, why, Feature.VPC)
    return found + _each(VPC_INTERFACE_ACTIONS[1:], NETWORK_INTERFACES, why, Feature.VPC)


def _subnets(subnet_ids: tuple[str, ...]) -> tuple[Arn, ...]:
    return tuple(Arn("ec2", f"subnet/{subnet}") for subnet in subnet_ids)


def _security_groups(security_group_ids: tuple[str, ...]) -> tuple[Arn, ...]:
    return tuple(Arn("ec2", f"security-group/{group}") for group in security_group_ids)


def _service(arn: str) -> str:
    return arn.split(":")[2]


# --- the statements that grant them ----------------------------------------------------------


def statements(use: ServiceUse, logs: LogsMode = LogsMode.SCOPED) -> tuple[Statement, ...]:
    """The role's statements for what Lambda does: logs (by mode), then each feature in use."""
    found = logs_statements(logs, use.log_group)
    if use.tracing is TracingMode.ACTIVE:
        found += (Statement(TRACING_ACTIONS, (ANY_RESOURCE,)),)
    if use.subnet_ids:
        found += vpc_statements(use.subnet_ids, use.security_group_ids)
    if use.environment_kms_key_arn:
        found += (Statement(ENVIRONMENT_KEY_ACTIONS, (Arn.of(use.environment_kms_key_arn),)),)
    if use.dead_letter_target_arn:
        target = use.dead_letter_target_arn
        found += (Statement(DEAD_LETTER_ACTIONS[_service(target)], (Arn.of(target),)),)
        if use.dead_letter_kms_key_arn:
            found += (Statement(DEAD_LETTER_KEY_ACTIONS, (Arn.of(use.dead_letter_kms_key_arn),)),)
    return found


def logs_statements(mode: LogsMode, log_group: str) -> tuple[Statement, ...]:
    """The logs statements of a function, by mode (see :class:`LogsMode`)."""
    if LogsMode(mode) is LogsMode.SCOPED:
        return (Statement(LOG_WRITE_ACTIONS, (log_group_streams_arn(log_group),)),)
    return (
        Statement(LOG_WRITE_ACTIONS, (account_logs_arn(),)),
        Statement(LOG_GROUP_CREATE_ACTIONS, (ANY_RESOURCE,)),
    )


def vpc_statements(subnet_ids: tuple[str, ...], security_group_ids: tuple[str, ...]) -> tuple[Statement, ...]:
    scoped = (NETWORK_INTERFACES, *_subnets(subnet_ids), *_security_groups(security_group_ids))
    return (Statement(VPC_DESCRIBE_ACTIONS, (ANY_RESOURCE,)), Statement(VPC_INTERFACE_ACTIONS, scoped))


# --- triggers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerUse:
    """What Lambda polls for a trigger, as plain values: a stream or a queue."""

    feature: Feature
    #: The stream (``table/<name>/stream/*``) or the queue ARN.
    source: Arn
    #: How reasons name the source, e.g. "the stream of Orders".
    label: str
    on_failure_arn: str | None = None
    kms_key_arn: str | None = None


def trigger_requirements(use: TriggerUse) -> tuple[Requirement, ...]:
    """Every call Lambda makes with the role to feed the function from ``use``."""
    if use.feature is Feature.STREAM_TRIGGER:
        why = f"Lambda reads {use.label} (stream trigger)"
        found = _each(STREAM_READ_ACTIONS, use.source, why, use.feature) + _each(STREAM_LIST_ACTIONS, ANY_RESOURCE, why, use.feature)
    else:
        why = f"Lambda receives the messages of {use.label} (queue trigger)"
        found = _each(QUEUE_ACTIONS, use.source, why, use.feature)
    if use.kms_key_arn:
        found += _each(QUEUE_KEY_ACTIONS, Arn.of(use.kms_key_arn), f"Lambda decrypts the messages of {use.label}", use.feature)
    if use.on_failure_arn:
        why = f"Lambda sends the records of a failed batch of {use.label} to the on-failure destination"
        found += _each(DEAD_LETTER_ACTIONS[_service(use.on_failure_arn)], Arn.of(use.on_failure_arn), why, use.feature)
    return tuple(found)


def trigger_statements(use: TriggerUse) -> tuple[Statement, ...]:
    """The statements that allow exactly :func:`trigger_requirements`: one per resource."""
    return statements_for(trigger_requirements(use))


def statements_for(requirements: tuple[Requirement, ...]) -> tuple[Statement, ...]:
    """One statement per resource, its actions in the order they are required."""
    by_resource: dict[Arn, list[str]] = {}
    for requirement in requirements:
        actions = by_resource.setdefault(requirement.resource, [])
        if requirement.action not in actions:
            actions.append(requirement.action)
    return tuple(Statement(tuple(actions), (resource,)) for resource, actions in by_resource.items())
