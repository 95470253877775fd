"""Rule checks shared by every settings module: each returns problem lines (field, value, rule).

A value only Terraform knows (a token, see :mod:`.tokens`) passes: Terraform checks it.
"""

from __future__ import annotations

import re
from enum import Enum

from lambda_dynamodb.config.errors import problem
from lambda_dynamodb.config.tokens import is_unresolved

#: ARNs several settings take, as one pattern each (names may not hold wildcards).
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")
KMS_KEY_RULE = "a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id>"
SQS_OR_SNS_ARN = re.compile(r"arn:aws[a-z-]*:(sqs|sns):[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}")
SQS_OR_SNS_RULE = "an SQS queue or SNS topic ARN"


def enum_problems(field: str, value: object, kind: type[Enum]) -> list[str]:
    """Empty when ``value`` is a member (or the value of a member) of ``kind``."""
    if is_unresolved(value):
        return []
    try:
        kind(value)
    except ValueError:
        return [problem(field, plain_value(value), f"one of {choices(kind)}")]
    return []


def choices(kind: type[Enum]) -> str:
    return ", ".join(str(member.value) for member in kind)


def plain_value(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def pattern_problems(field: str, value: object, pattern: re.Pattern[str], rule: str, max_length: int | None = None) -> list[str]:
    if is_unresolved(value):
        return []
    valid = isinstance(value, str) and pattern.fullmatch(value) and (max_length is None or len(value) <= max_length)
    return [] if valid else [problem(field, value, rule)]


def length_problems(field: str, value: object, low: int, high: int, rule: str) -> list[str]:
    if is_unresolved(value):
        return []
    valid = isinstance(value, str) and low <= len(value) <= high
    return [] if valid else [problem(field, value, rule)]


def int_range_problems(field: str, value: object, low: int, high: int, rule: str) -> list[str]:
    if is_unresolved(value):
        return []
    valid = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return [] if valid else [problem(field, value, rule)]


def bool_problems(field: str, value: object) -> list[str]:
    return [] if isinstance(value, bool) else [problem(field, value, "true or false")]
