"""What invokes a function: a table's stream, an SQS queue, a function URL. Settings and their rules.

Plain frozen dataclasses, validated before anything is created (:func:`trigger_problems`); the
resources they become are made by :mod:`.event_sources`, and what Lambda then does with the
function's role is in :mod:`.lambda_service`. Limits are those of Lambda's
``CreateEventSourceMapping`` (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, Union

from lambda_dynamodb.config.enums import FunctionUrlAuth, StartingPosition
from lambda_dynamodb.config.errors import problem
from lambda_dynamodb.iam.policy import Arn
from lambda_dynamodb.config import rules
from lambda_dynamodb.config.rules import bool_problems as _bool
from lambda_dynamodb.config.rules import enum_problems as _enum
from lambda_dynamodb.config.rules import int_range_problems as _whole
from lambda_dynamodb.config.rules import pattern_problems as _pattern
from lambda_dynamodb.config.tokens import is_unresolved

__all__ = [
    "Cors",
    "FunctionUrl",
    "QueueTrigger",
    "StreamSource",
    "StreamTrigger",
    "Trigger",
    "trigger_problems",
    "url_problems",
]


class StreamSource(Protocol):
    """A table a stream trigger can read: :class:`~lambda_dynamodb.constructs.table.Table` or ``ImportedTable``."""

    table_name: str

    @property
    def has_stream(self) -> bool: ...

    @property
    def stream_arn(self) -> str | None: ...

    def stream_resource(self) -> Arn: ...


@dataclass(frozen=True)
class StreamTrigger:
    """The function reads the table's DynamoDB stream (an ``aws_lambda_event_source_mapping``)."""

    table: StreamSource
    starting_position: StartingPosition = StartingPosition.LATEST
    batch_size: int = 100
    maximum_batching_window_seconds: int = 0
    #: Event filter patterns (JSON), at most 5: records that match none are dropped unread.
    filters: tuple[str, ...] = ()
    #: The handler answers ``{"batchItemFailures": [...]}``: only failed records are retried.
    report_batch_item_failures: bool = False
    bisect_batch_on_function_error: bool = False
    #: -1 retries until the record expires; AWS's default.
    maximum_retry_attempts: int = -1
    #: -1 keeps records until they expire from the stream (24 hours).
    maximum_record_age_seconds: int = -1
    parallelization_factor: int = 1
    #: An SQS queue or SNS topic that gets the records of a batch that failed every retry.
    on_failure_arn: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class QueueTrigger:
    """The function receives an SQS queue's messages (an ``aws_lambda_event_source_mapping``)."""

    queue_arn: str
    batch_size: int = 10
    maximum_batching_window_seconds: int = 0
    filters: tuple[str, ...] = ()
    report_batch_item_failures: bool = False
    #: The customer-managed key the queue is encrypted with: Lambda decrypts its messages.
    kms_key_arn: str | None = None
    #: At most this many concurrent invocations for the queue (2 to 1000), or no limit.
    maximum_concurrency: int | None = None
    #: The queue's visibility timeout, when known: checked against the function's timeout.
    visibility_timeout_seconds: int | None = None
    enabled: bool = True


Trigger = Union[StreamTrigger, QueueTrigger]


@dataclass(frozen=True)
class Cors:
    """Cross-origin access to a function URL from browsers."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age_seconds: int | None = None


@dataclass(frozen=True)
class FunctionUrl:
    """An HTTPS endpoint for the function. Signed callers only (``AWS_IAM``) unless said otherwise.

    ``auth=FunctionUrlAuth.NONE`` lets anyone on the internet invoke the function; it needs
    ``public=True`` as well, so that it is never the result of a typo, and it is reported as a
    finding in the permission rows.
    """

    auth: FunctionUrlAuth = FunctionUrlAuth.AWS_IAM
    public: bool = False
    cors: Cors | None = None


# --- rules ------------------------------------------------------------------------------------

#: Lambda's limits for a DynamoDB stream mapping (CreateEventSourceMapping).
STREAM_BATCH_RULE = "a whole number from 1 to 10000 (Lambda's limit for DynamoDB streams)"
BATCH_WINDOW_RULE = "a whole number of seconds from 0 to 300"
RETRY_RULE = "-1 (retry until the record expires) or a whole number from 0 to 10000"
RECORD_AGE_RULE = "-1 (until the record expires) or a whole number of seconds from 60 to 604800"
PARALLELIZATION_RULE = "a whole number from 1 to 10"
FILTERS_RULE = "at most 5 filter patterns, each a JSON object such as '{\"eventName\": [\"INSERT\"]}'"
ON_FAILURE_RULE = rules.SQS_OR_SNS_RULE
#: The role's statement depends on the service (sqs:SendMessage or sns:Publish).
ON_FAILURE_LITERAL_RULE = "a literal SQS queue or SNS topic ARN: which send permission the role needs depends on the service"
NO_STREAM_RULE = "a table with a stream: set TableSettings.stream (or ExistingTable.stream_arn)"
QUEUE_ARN_RULE = "an SQS queue ARN, arn:<partition>:sqs:<region>:<account>:<queue name>"
QUEUE_BATCH_RULE = "a whole number from 1 to 10000 (at most 10 for a FIFO queue)"
#: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html: "If you set the batch
#: size to more than 10, you must also set MaximumBatchingWindowInSeconds to at least 1 second".
QUEUE_WINDOW_RULE = "at least 1 second when batch_size is over 10 (Lambda's rule for SQS batches)"
FIFO_BATCH_RULE = "at most 10 for a FIFO queue"
CONCURRENCY_RULE = "a whole number from 2 to 1000, or None"
VISIBILITY_RULE = "a whole number of seconds from 0 to 43200 (SQS's limits), or None"
#: Lambda refuses the mapping ("Queue visibility timeout: 30 seconds is less than Function
#: timeout: 60 seconds"); AWS advises six times the function's timeout, to leave room for
#: retries (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). The
#: emulator creates the mapping anyway.
VISIBILITY_TIMEOUT_RULE = (
    "at least the function's timeout ({timeout} s): Lambda refuses a queue whose messages would reappear "
    "while the function still works on them (AWS advises six times the timeout)"
)
KMS_KEY_RULE = rules.KMS_KEY_RULE
#: A function URL open to anyone is a decision, not a default.
PUBLIC_RULE = "auth NONE lets anyone on the internet invoke the function: set public=True to say so, or keep AWS_IAM"
PUBLIC_AUTH_RULE = "public=True goes with auth NONE; a URL with auth AWS_IAM is not public"
CORS_AGE_RULE = "a whole number of seconds from 0 to 86400, or None"
CORS_LIST_RULE = "a tuple of strings"

_QUEUE_ARN = re.compile(r"arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?")
_DESTINATION_ARN = rules.SQS_OR_SNS_ARN
_KMS_KEY_ARN = rules.KMS_KEY_ARN
MAX_FILTERS = 5


def trigger_problems(trigger: object, field: str, function_timeout: int | None = None) -> list[str]:
    """Every problem of one trigger; ``field`` names it in messages (``orders-stream.triggers[0]``)."""
    if isinstance(trigger, StreamTrigger):
        return list(_stream_problems(trigger, field))
    if isinstance(trigger, QueueTrigger):
        found = list(_queue_problems(trigger, field))
        visibility = trigger.visibility_timeout_seconds
        known = isinstance(visibility, int) and isinstance(function_timeout, int) and not found
        if known and not is_unresolved(visibility) and not is_unresolved(function_timeout) and visibility < function_timeout:  # type: ignore[operator]
            found.append(problem(f"{field}.visibility_timeout_seconds", visibility, VISIBILITY_TIMEOUT_RULE.format(timeout=function_timeout)))
        return found
    return [problem(field, type(trigger).__name__, "a StreamTrigger or a QueueTrigger")]


def _stream_problems(trigger: StreamTrigger, field: str) -> Iterator[str]:
    table = trigger.table
    if not hasattr(table, "stream_resource"):
        yield problem(f"{field}.table", type(table).__name__, "a Table or ImportedTable of this library")
    elif not table.has_stream:
        yield problem(f"{field}.table", table.table_name, NO_STREAM_RULE)
    yield from _enum(f"{field}.starting_position", trigger.starting_position, StartingPosition)
    yield from _whole(f"{field}.batch_size", trigger.batch_size, 1, 10000, STREAM_BATCH_RULE)
    yield from _whole(f"{field}.maximum_batching_window_seconds", trigger.maximum_batching_window_seconds, 0, 300, BATCH_WINDOW_RULE)
    retries = trigger.maximum_retry_attempts
    yield from [] if retries == -1 else _whole(f"{field}.maximum_retry_attempts", retries, 0, 10000, RETRY_RULE)
    age = trigger.maximum_record_age_seconds
    yield from [] if age == -1 else _whole(f"{field}.maximum_record_age_seconds", age, 60, 604800, RECORD_AGE_RULE)
    yield from _whole(f"{field}.parallelization_factor", trigger.parallelization_factor, 1, 10, PARALLELIZATION_RULE)
    yield from _filter_problems(f"{field}.filters", trigger.filters)
    for name in ("report_batch_item_failures", "bisect_batch_on_function_error", "enabled"):
        yield from _bool(f"{field}.{name}", getattr(trigger, name))
    if trigger.on_failure_arn is not None and is_unresolved(trigger.on_failure_arn):
        yield problem(f"{field}.on_failure_arn", trigger.on_failure_arn, ON_FAILURE_LITERAL_RULE)
    elif trigger.on_failure_arn is not None:
        yield from _pattern(f"{field}.on_failure_arn", trigger.on_failure_arn, _DESTINATION_ARN, ON_FAILURE_RULE)


def _queue_problems(trigger: QueueTrigger, field: str) -> Iterator[str]:
    yield from _pattern(f"{field}.queue_arn", trigger.queue_arn, _QUEUE_ARN, QUEUE_ARN_RULE)
    batch_problems = _whole(f"{field}.batch_size", trigger.batch_size, 1, 10000, QUEUE_BATCH_RULE)
    yield from batch_problems
    window = trigger.maximum_batching_window_seconds
    window_problems = _whole(f"{field}.maximum_batching_window_seconds", window, 0, 300, BATCH_WINDOW_RULE)
    yield from window_problems
    known = not (batch_problems or window_problems or is_unresolved(trigger.batch_size) or is_unresolved(window))
    if known and trigger.batch_size > 10 and window < 1:
        yield problem(f"{field}.maximum_batching_window_seconds", window, QUEUE_WINDOW_RULE)
    fifo = isinstance(trigger.queue_arn, str) and not is_unresolved(trigger.queue_arn) and trigger.queue_arn.endswith(".fifo")
    if known and fifo and trigger.batch_size > 10:
        yield problem(f"{field}.batch_size", trigger.batch_size, FIFO_BATCH_RULE)
    yield from _filter_problems(f"{field}.filters", trigger.filters)
    if trigger.kms_key_arn is not None:
        yield from _pattern(f"{field}.kms_key_arn", trigger.kms_key_arn, _KMS_KEY_ARN, KMS_KEY_RULE)
    if trigger.maximum_concurrency is not None:
        yield from _whole(f"{field}.maximum_concurrency", trigger.maximum_concurrency, 2, 1000, CONCURRENCY_RULE)
    if trigger.visibility_timeout_seconds is not None:
        yield from _whole(f"{field}.visibility_timeout_seconds", trigger.visibility_timeout_seconds, 0, 43200, VISIBILITY_RULE)
    for name in ("report_batch_item_failures", "enabled"):
        yield from _bool(f"{field}.{name}", getattr(trigger, name))


def url_problems(url: object, field: str) -> list[str]:
    """Every problem of a function URL's settings."""
    if not isinstance(url, FunctionUrl):
        return [problem(field, type(url).__name__, "a FunctionUrl")]
    found = list(_enum(f"{field}.auth", url.auth, FunctionUrlAuth)) + list(_bool(f"{field}.public", url.public))
    if found:
        return found
    if FunctionUrlAuth(url.auth) is FunctionUrlAuth.NONE and url.public is not True:
        found.append(problem(f"{field}.auth", FunctionUrlAuth.NONE.value, PUBLIC_RULE))
    if url.public is True and FunctionUrlAuth(url.auth) is FunctionUrlAuth.AWS_IAM:
        found.append(problem(f"{field}.public", True, PUBLIC_AUTH_RULE))
    if url.cors is not None:
        found += _cors_problems(url.cors, f"{field}.cors")
    return found


def _cors_problems(cors: Cors, field: str) -> list[str]:
    found = []
    for name in ("allow_origins", "allow_methods", "allow_headers", "expose_headers"):
        values = getattr(cors, name)
        if not (isinstance(values, tuple) and all(isinstance(v, str) for v in values)):
            found.append(problem(f"{field}.{name}", values, CORS_LIST_RULE))
    found += _bool(f"{field}.allow_credentials", cors.allow_credentials)
    if cors.max_age_seconds is not None:
        found += _whole(f"{field}.max_age_seconds", cors.max_age_seconds, 0, 86400, CORS_AGE_RULE)
    return found


def _filter_problems(field: str, filters: object) -> Iterator[str]:
    if not isinstance(filters, tuple) or len(filters) > MAX_FILTERS:
        yield problem(field, filters, FILTERS_RULE)
        return
    for index, pattern in enumerate(filters):
        if is_unresolved(pattern):
            continue
        try:
            valid = isinstance(pattern, str) and isinstance(json.loads(pattern), dict)
        except ValueError:
            valid = False
        if not valid:
            yield problem(f"{field}[{index}]", pattern, FILTERS_RULE)
