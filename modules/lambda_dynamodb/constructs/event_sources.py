"""The resources a function's triggers and URL become (settings and rules: :mod:`.triggers`)."""

from __future__ import annotations

from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (
    LambdaEventSourceMapping,
    LambdaEventSourceMappingDestinationConfig,
    LambdaEventSourceMappingDestinationConfigOnFailure,
    LambdaEventSourceMappingFilterCriteria,
    LambdaEventSourceMappingFilterCriteriaFilter,
    LambdaEventSourceMappingScalingConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_url import LambdaFunctionUrl, LambdaFunctionUrlCors
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from lambda_dynamodb.config.enums import FunctionUrlAuth, StartingPosition
from lambda_dynamodb.config.tokens import literal, terraform_value
from lambda_dynamodb.config.triggers import Cors, FunctionUrl, QueueTrigger, StreamTrigger

#: What a handler answers to have only its failed records retried.
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


def stream_mapping(scope: Construct, id: str, function_name: str, trigger: StreamTrigger, after: list[ITerraformDependable]) -> LambdaEventSourceMapping:
    """The table's stream feeding the function. Created after the role's policy is attached:
    Lambda checks the role can read the stream when the mapping is created (real AWS refuses it
    otherwise; the emulator does not check), https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html."""
    destination = None
    if trigger.on_failure_arn:
        on_failure = LambdaEventSourceMappingDestinationConfigOnFailure(destination_arn=trigger.on_failure_arn)
        destination = LambdaEventSourceMappingDestinationConfig(on_failure=on_failure)
    return LambdaEventSourceMapping(
        scope,
        id,
        function_name=function_name,
        event_source_arn=str(trigger.table.stream_arn),
        starting_position=terraform_value(StartingPosition, trigger.starting_position),
        batch_size=trigger.batch_size,
        maximum_batching_window_in_seconds=trigger.maximum_batching_window_seconds or None,
        bisect_batch_on_function_error=trigger.bisect_batch_on_function_error or None,
        maximum_retry_attempts=trigger.maximum_retry_attempts,
        maximum_record_age_in_seconds=trigger.maximum_record_age_seconds,
        parallelization_factor=trigger.parallelization_factor,
        destination_config=destination,
        enabled=trigger.enabled,
        **_common(trigger.filters, trigger.report_batch_item_failures),
        depends_on=after,
    )


def queue_mapping(scope: Construct, id: str, function_name: str, trigger: QueueTrigger, after: list[ITerraformDependable]) -> LambdaEventSourceMapping:
    """The queue feeding the function; after the policy, as for streams
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    scaling = LambdaEventSourceMappingScalingConfig(maximum_concurrency=trigger.maximum_concurrency) if trigger.maximum_concurrency else None
    return LambdaEventSourceMapping(
        scope,
        id,
        function_name=function_name,
        event_source_arn=trigger.queue_arn,
        batch_size=trigger.batch_size,
        maximum_batching_window_in_seconds=trigger.maximum_batching_window_seconds or None,
        scaling_config=scaling,
        enabled=trigger.enabled,
        **_common(trigger.filters, trigger.report_batch_item_failures),
        depends_on=after,
    )


def _common(filters: tuple[str, ...], report_failures: bool) -> dict[str, Any]:
    criteria = None
    if filters:
        criteria = LambdaEventSourceMappingFilterCriteria(filter=[LambdaEventSourceMappingFilterCriteriaFilter(pattern=literal(p)) for p in filters])
    return {"filter_criteria": criteria, "function_response_types": [REPORT_BATCH_ITEM_FAILURES] if report_failures else None}


class FunctionUrlEndpoint(Construct):
    """A function's URL (``aws_lambda_function_url``); a public one also gets the resource-policy
    statement that lets anyone invoke it (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html)."""

    def __init__(self, scope: Construct, id: str, function_name: str, settings: FunctionUrl) -> None:
        super().__init__(scope, id)
        self._settings = settings
        auth = terraform_value(FunctionUrlAuth, settings.auth)
        self._resource = LambdaFunctionUrl(self, "url", function_name=function_name, authorization_type=auth, cors=_cors(settings.cors))
        self._permission = None
        if FunctionUrlAuth(settings.auth) is FunctionUrlAuth.NONE:
            self._permission = LambdaPermission(
                self,
                "public",
                statement_id="FunctionURLAllowPublicAccess",
                action="lambda:InvokeFunctionUrl",
                principal="*",
                function_name=function_name,
                function_url_auth_type=FunctionUrlAuth.NONE.value,
            )

    @property
    def url(self) -> str:
        """The endpoint, ``https://<id>.lambda-url.<region>.on.aws/`` (a reference)."""
        return self._resource.function_url

    @property
    def auth(self) -> FunctionUrlAuth:
        return FunctionUrlAuth(self._settings.auth)

    @property
    def public(self) -> bool:
        return self.auth is FunctionUrlAuth.NONE

    @property
    def resource(self) -> LambdaFunctionUrl:
        return self._resource

    @property
    def permission(self) -> LambdaPermission | None:
        return self._permission


def _cors(cors: Cors | None) -> LambdaFunctionUrlCors | None:
    if cors is None:
        return None
    return LambdaFunctionUrlCors(
        allow_origins=[literal(v) for v in cors.allow_origins] or None,
        allow_methods=[literal(v) for v in cors.allow_methods] or None,
        allow_headers=[literal(v) for v in cors.allow_headers] or None,
        expose_headers=[literal(v) for v in cors.expose_headers] or None,
        allow_credentials=cors.allow_credentials or None,
        max_age=cors.max_age_seconds,
    )
