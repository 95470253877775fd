"""A synthesized stack's tables and queues in an emulator, and its functions run against them.

    with EmulatedStack(stack, emulator) as aws:          # the plugin's ``emulated_stack`` fixture
        aws.table("Orders").put_item(Item={...})
        result = aws.deliver("orders-stream")            # the stream read as the mapping reads it, then the handler
        result = aws.invoke("orders-sync", [{"customer": "c-1", "id": "o-1"}])
        result.answers, result.calls, result.denials

Each function runs from the zip the stack deploys (its ``filename``), in a process of its own,
with its environment from ``cdk.tf.json`` (references resolved to the created resources: a
table's name, a queue's URL, a stream's ARN) and with its synthesized policy enforced on every
AWS call, as IAM would enforce the deployed one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambda_dynamodb.testing import provision
from lambda_dynamodb.testing.emulator import Emulator
from lambda_dynamodb.testing.enforcer import Enforcer, Policies
from lambda_dynamodb.testing.invoke import FunctionIdentity, Invocation, run_package
from lambda_dynamodb.testing.poller import StreamPosition, queue_event, read_queue, read_stream, stream_events
from lambda_dynamodb.testing.references import Target, UnresolvedReference, resolve
from lambda_dynamodb.testing.stack import StackError, SynthesizedStack


@dataclass(frozen=True)
class Trigger:
    """A function's event source mapping: a table's stream or a queue, resolved in the emulator."""

    kind: str  # "stream" | "queue"
    source_arn: str
    batch_size: int
    starting_position: str
    queue_url: str | None = None


class EmulatedStack:
    """The stack's data resources, created in ``emulator`` on entry and deleted on exit."""

    def __init__(self, stack: SynthesizedStack, emulator: Emulator) -> None:
        self.stack = stack
        self.emulator = emulator
        self.region = stack.region
        self._made: provision.Provisioned | None = None
        self._positions: dict[str, StreamPosition] = {}

    def __enter__(self) -> EmulatedStack:
        self._made = provision.create(self.stack.json, self.client("dynamodb"), self.client("sqs"), self.stack.target(self.emulator.account))
        return self

    def __exit__(self, *_: Any) -> None:
        if self._made is not None:
            provision.delete(self._made, self.client("dynamodb"), self.client("sqs"))
            self._made = None

    # --- the emulator, as the test sees it (no policy enforced) --------------------------------

    def client(self, service: str) -> Any:
        return self.emulator.client(service, self.region)

    def table(self, name: str) -> Any:
        """A boto3 ``Table`` of the emulator (``name``: the table's name, e.g. ``Orders``)."""
        return self.emulator.resource("dynamodb", self.region).Table(name)

    @property
    def target(self) -> Target:
        """The stack's references resolve here: the emulator's account, the created resources' values."""
        return self.stack.target(self.emulator.account, self._provisioned.known)

    @property
    def tables(self) -> dict[str, str]:
        """Created table names, by Terraform address."""
        return dict(self._provisioned.tables)

    @property
    def queues(self) -> dict[str, str]:
        """Created queue URLs, by Terraform address."""
        return dict(self._provisioned.queues)

    # --- a function ---------------------------------------------------------------------------

    def environment(self, function: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """The function's variables, references resolved to the created resources, then ``overrides``."""
        given = dict(overrides or {})
        resolved = {}
        for name, value in self.stack.function(function).environment.items():
            if name in given:
                continue  # given: its own value may well be unresolvable here
            try:
                resolved[name] = resolve(str(value), self.stack.json, self.target)
            except UnresolvedReference as error:
                raise StackError(f"{function}'s variable {name}: {error}; pass environment={{{name!r}: ...}} to invoke") from None
        return {**resolved, **given}

    def policies(self, function: str) -> Policies:
        """The function's synthesized policies, with ARNs of the emulator's account and resources."""
        return Policies(self.stack.policy_documents(function, self.target))

    def principal(self, function: str) -> str:
        spec = self.stack.function(function)
        return f"arn:{self.target.partition}:sts::{self.emulator.account}:assumed-role/{spec.role_name}/{spec.name}"

    def enforced_session(self, function: str) -> tuple[Any, Enforcer]:
        """A boto3 session whose calls are made as the function's role (its policy enforced)."""
        enforcer = Enforcer(self.policies(function), self.principal(function), self.emulator.account)
        session = self.emulator.session(self.region)
        enforcer.install(session)
        return session, enforcer

    def invoke(self, function: str, events: Sequence[Any], *, environment: Mapping[str, str] | None = None) -> Invocation:
        """The function's handler on each event, from its package, its policy enforced.

        ``environment`` overrides (or adds) variables of the function's own.
        """
        spec = self.stack.function(function)
        if not spec.package.is_file():
            raise StackError(f"{function}'s package {spec.package} does not exist: the stack deploys its code from elsewhere (no local filename)")
        variables = self.environment(function, environment)
        identity = FunctionIdentity(
            name=spec.name,
            arn=self.target.arn("lambda", f"function:{spec.name}"),
            principal=self.principal(function),
            account=self.emulator.account,
            memory_mb=spec.memory_mb,
            timeout_seconds=spec.timeout_seconds,
        )
        return run_package(spec.package, spec.handler, events, self.policies(function), identity, {**self.emulator.environment(self.region), **variables})

    # --- what the function's event source mapping does ----------------------------------------

    def trigger(self, function: str) -> Trigger:
        """The function's event source mapping (its stream or queue); StackError without one."""
        spec = self.stack.function(function)
        names = {spec.name, f"${{{spec.address}.function_name}}", f"${{{spec.address}.arn}}"}
        for mapping in self.stack.resources.get("aws_lambda_event_source_mapping", {}).values():
            if mapping.get("function_name") not in names:
                continue
            source = resolve(str(mapping["event_source_arn"]), self.stack.json, self.target)
            position = str(mapping.get("starting_position", "TRIM_HORIZON"))
            if ":sqs:" in source:
                url = self.client("sqs").get_queue_url(QueueName=source.rsplit(":", 1)[-1])["QueueUrl"]
                return Trigger("queue", source, int(mapping.get("batch_size", 10)), position, url)
            return Trigger("stream", source, int(mapping.get("batch_size", 100)), position)
        raise StackError(f"{function} has no event source mapping in stack {self.stack.name}: invoke it with events instead")

    def poll(self, function: str) -> list[dict[str, Any]]:
        """What the mapping would hand the function now: the new stream records, or received
        messages, read with the function's role, as Lambda events of at most its batch size."""
        trigger = self.trigger(function)
        session, _ = self.enforced_session(function)
        if trigger.kind == "queue":
            sqs = session.client("sqs", endpoint_url=self.emulator.url)
            messages = read_queue(sqs, str(trigger.queue_url), trigger.batch_size)
            return [queue_event(messages, trigger.source_arn, self.region)] if messages else []
        streams = session.client("dynamodbstreams", endpoint_url=self.emulator.url)
        position = self._positions.setdefault(trigger.source_arn, StreamPosition())
        records = read_stream(streams, trigger.source_arn, position, trigger.starting_position)
        return stream_events(records, trigger.source_arn, self.region, trigger.batch_size)

    def deliver(self, function: str) -> Invocation:
        """:meth:`poll`, then the handler on each batch; a queue's handled messages are deleted
        (all but the batch item failures it reports), with the function's role, as Lambda does."""
        events = self.poll(function)
        result = self.invoke(function, events)
        trigger = self.trigger(function)
        if trigger.kind == "queue":
            session, _ = self.enforced_session(function)
            sqs = session.client("sqs", endpoint_url=self.emulator.url)
            for event, answer in zip(events, result.answers):
                failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])} if isinstance(answer, dict) else set()
                if isinstance(answer, dict) and "errorType" in answer:
                    continue  # the whole batch failed: every message returns to the queue
                for record in event["Records"]:
                    if record["messageId"] not in failed:
                        sqs.delete_message(QueueUrl=trigger.queue_url, ReceiptHandle=record["receiptHandle"])
        return result

    @property
    def _provisioned(self) -> provision.Provisioned:
        if self._made is None:
            raise RuntimeError("the stack's resources are not created: use EmulatedStack as a context manager")
        return self._made
