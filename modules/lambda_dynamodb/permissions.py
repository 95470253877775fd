"""The function's own permissions: writing its logs, and what its opt-in features need."""

from __future__ import annotations

from .enums import LogsMode
from .policy import ANY_RESOURCE, Arn, Statement, account_logs_arn, log_group_streams_arn

#: What a function needs to write its own logs into a log group that already exists.
#: CreateLogGroup is left out: the module creates the group (with its retention) itself.
LOG_WRITE_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
#: The reference's extra statement: lets the function create any log group, which only works
#: on ``*`` (the action has no resource-level permissions).
LOG_GROUP_CREATE_ACTIONS: tuple[str, ...] = ("logs:CreateLogGroup",)


def logs_statements(mode: LogsMode, log_group_name: str) -> tuple[Statement, ...]:
    """The logs statements of a function, by mode (see :class:`LogsMode`)."""
    if LogsMode(mode) is LogsMode.SCOPED:
        return (Statement(LOG_WRITE_ACTIONS, (log_group_streams_arn(log_group_name),)),)
    return (
        Statement(LOG_WRITE_ACTIONS, (account_logs_arn(),)),
        Statement(LOG_GROUP_CREATE_ACTIONS, (ANY_RESOURCE,)),
    )


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


def vpc_statements(subnet_ids: tuple[str, ...], security_group_ids: tuple[str, ...]) -> tuple[Statement, ...]:
    scoped = (
        Arn("ec2", "network-interface/*"),
        *(Arn("ec2", f"subnet/{subnet}") for subnet in subnet_ids),
        *(Arn("ec2", f"security-group/{group}") for group in security_group_ids),
    )
    return (Statement(VPC_DESCRIBE_ACTIONS, (ANY_RESOURCE,)), Statement(VPC_INTERFACE_ACTIONS, scoped))


def environment_key_statements(key_arn: str) -> tuple[Statement, ...]:
    return (Statement(ENVIRONMENT_KEY_ACTIONS, (Arn.of(key_arn),)),)


def dead_letter_statements(target_arn: str) -> tuple[Statement, ...]:
    service = target_arn.split(":")[2]
    return (Statement(DEAD_LETTER_ACTIONS[service], (Arn.of(target_arn),)),)
