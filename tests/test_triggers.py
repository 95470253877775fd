"""The rules of triggers and function URLs: one negative test per rule, each naming field, value and rule.

Pure settings: nothing is synthesized. The stream source is an imported table with a stream.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from lambda_dynamodb import Cors, ExistingTable, FunctionUrl, FunctionUrlAuth, ImportedTable, QueueTrigger, StreamTrigger
from lambda_dynamodb.config.triggers import trigger_problems, url_problems

ORDERS = ImportedTable(
    ExistingTable(
        "Orders",
        arn="arn:aws:dynamodb:eu-west-1:123456789012:table/Orders",
        stream_arn="arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T00:00:00.000",
    )
)
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders-intake"
STREAM = StreamTrigger(ORDERS)
QUEUE_TRIGGER = QueueTrigger(QUEUE)


def test_sound_triggers_and_urls_have_no_problems() -> None:
    assert trigger_problems(STREAM, "t") == [] and trigger_problems(QUEUE_TRIGGER, "t", 10) == []
    assert url_problems(FunctionUrl(), "u") == [] and url_problems(FunctionUrl(FunctionUrlAuth.NONE, public=True), "u") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"starting_position": "AT_TIMESTAMP"}, "t.starting_position 'AT_TIMESTAMP' is invalid: one of LATEST, TRIM_HORIZON"),
        ({"batch_size": 0}, "t.batch_size 0 is invalid: a whole number from 1 to 10000 (Lambda's limit for DynamoDB streams)"),
        ({"batch_size": True}, "t.batch_size True is invalid: a whole number from 1 to 10000 (Lambda's limit for DynamoDB streams)"),
        ({"maximum_batching_window_seconds": 301}, "t.maximum_batching_window_seconds 301 is invalid: a whole number of seconds from 0 to 300"),
        ({"maximum_retry_attempts": 10001}, "t.maximum_retry_attempts 10001 is invalid: -1 (retry until the record expires) or a whole number from 0 to 10000"),
        ({"maximum_record_age_seconds": 59}, "t.maximum_record_age_seconds 59 is invalid: -1 (until the record expires) or a whole number of seconds from 60 to 604800"),
        ({"parallelization_factor": 11}, "t.parallelization_factor 11 is invalid: a whole number from 1 to 10"),
        ({"filters": ("eventName",)}, "t.filters[0] 'eventName' is invalid: at most 5 filter patterns, each a JSON object such as '{\"eventName\": [\"INSERT\"]}'"),
        ({"filters": ("{}",) * 6}, "t.filters ('{}', '{}', '{}', '{}', '{}', '{}') is invalid: at most 5 filter patterns"),
        ({"report_batch_item_failures": "yes"}, "t.report_batch_item_failures 'yes' is invalid: true or false"),
        ({"bisect_batch_on_function_error": 1}, "t.bisect_batch_on_function_error 1 is invalid: true or false"),
        ({"enabled": None}, "t.enabled None is invalid: true or false"),
        ({"on_failure_arn": "arn:aws:s3:::bucket"}, "t.on_failure_arn 'arn:aws:s3:::bucket' is invalid: an SQS queue or SNS topic ARN"),
    ],
)
def test_each_stream_trigger_rule(change: dict[str, Any], expected: str) -> None:
    (found,) = trigger_problems(replace(STREAM, **change), "t")
    assert found.startswith(expected)


def test_a_stream_on_a_table_without_one_is_refused() -> None:
    table = ImportedTable(ExistingTable("Orders"))
    assert trigger_problems(StreamTrigger(table), "t") == [
        "t.table 'Orders' is invalid: a table with a stream: set TableSettings.stream (or ExistingTable.stream_arn)"
    ]


def test_a_stream_source_must_be_a_table_of_the_library() -> None:
    assert trigger_problems(StreamTrigger("Orders"), "t") == ["t.table 'str' is invalid: a Table or ImportedTable of this library"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"queue_arn": "orders-intake"}, "t.queue_arn 'orders-intake' is invalid: an SQS queue ARN"),
        ({"queue_arn": "arn:aws:sqs:eu-west-1:123456789012:*"}, "t.queue_arn 'arn:aws:sqs:eu-west-1:123456789012:*' is invalid: an SQS queue ARN"),
        ({"batch_size": 10001}, "t.batch_size 10001 is invalid: a whole number from 1 to 10000 (at most 10 for a FIFO queue)"),
        ({"batch_size": 11}, "t.maximum_batching_window_seconds 0 is invalid: at least 1 second when batch_size is over 10"),
        ({"queue_arn": QUEUE + ".fifo", "batch_size": 11, "maximum_batching_window_seconds": 1}, "t.batch_size 11 is invalid: at most 10 for a FIFO queue"),
        ({"maximum_batching_window_seconds": -1}, "t.maximum_batching_window_seconds -1 is invalid: a whole number of seconds from 0 to 300"),
        ({"kms_key_arn": "alias/orders"}, "t.kms_key_arn 'alias/orders' is invalid: a KMS key ARN"),
        ({"maximum_concurrency": 1}, "t.maximum_concurrency 1 is invalid: a whole number from 2 to 1000, or None"),
        ({"visibility_timeout_seconds": 43201}, "t.visibility_timeout_seconds 43201 is invalid: a whole number of seconds from 0 to 43200"),
        ({"report_batch_item_failures": "no"}, "t.report_batch_item_failures 'no' is invalid: true or false"),
        ({"filters": ["{}"]}, "t.filters ['{}'] is invalid: at most 5 filter patterns"),
    ],
)
def test_each_queue_trigger_rule(change: dict[str, Any], expected: str) -> None:
    (found,) = trigger_problems(replace(QUEUE_TRIGGER, **change), "t")
    assert found.startswith(expected)


def test_a_queue_whose_visibility_timeout_is_under_the_functions_timeout_is_refused() -> None:
    (found,) = trigger_problems(replace(QUEUE_TRIGGER, visibility_timeout_seconds=30), "t", function_timeout=60)
    assert found.startswith("t.visibility_timeout_seconds 30 is invalid: at least the function's timeout (60 s)")


def test_an_unknown_trigger_is_refused() -> None:
    assert trigger_problems(FunctionUrl(), "t") == ["t 'FunctionUrl' is invalid: a StreamTrigger or a QueueTrigger"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (FunctionUrl(auth=FunctionUrlAuth.NONE), "u.auth 'NONE' is invalid: auth NONE lets anyone on the internet invoke the function: set public=True to say so"),
        (FunctionUrl(public=True), "u.public True is invalid: public=True goes with auth NONE; a URL with auth AWS_IAM is not public"),
        (FunctionUrl(auth="IAM"), "u.auth 'IAM' is invalid: one of AWS_IAM, NONE"),  # type: ignore[arg-type]
        (FunctionUrl(public="yes"), "u.public 'yes' is invalid: true or false"),  # type: ignore[arg-type]
        (FunctionUrl(cors=Cors(max_age_seconds=86401)), "u.cors.max_age_seconds 86401 is invalid: a whole number of seconds from 0 to 86400, or None"),
        (FunctionUrl(cors=Cors(allow_origins=["*"])), "u.cors.allow_origins ['*'] is invalid: a tuple of strings"),  # type: ignore[arg-type]
        (FunctionUrl(cors=Cors(allow_credentials="yes")), "u.cors.allow_credentials 'yes' is invalid: true or false"),  # type: ignore[arg-type]
        ("https", "u 'str' is invalid: a FunctionUrl"),
    ],
)
def test_each_function_url_rule(url: Any, expected: str) -> None:
    (found,) = url_problems(url, "u")
    assert found.startswith(expected)


def test_an_on_failure_destination_only_terraform_knows_is_refused() -> None:
    from cdktf import Token

    arn = Token.as_string({"queue": "arn"})
    (found,) = trigger_problems(replace(STREAM, on_failure_arn=arn), "t")
    assert found.endswith("is invalid: a literal SQS queue or SNS topic ARN: which send permission the role needs depends on the service")
