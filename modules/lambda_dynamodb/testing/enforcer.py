"""IAM, enforced on the AWS calls a handler makes, the way real AWS would answer them.

The local emulator cannot prove least privilege: moto's own IAM enforcement evaluates every
DynamoDB call against resource ``*``. So each request a boto3 session sends is turned into the
(action, resource) pairs IAM evaluates for it (``lambda_dynamodb.iam.dynamodb_operations``: the
table, or the index, a transaction's item actions, a PartiQL statement's verb; a DynamoDB
Streams call's stream, an SQS call's queue, a Secrets Manager call's secret (its full ARN); any
other service's call on ``*``), and each pair is evaluated against the role's policies (as
deployed, or as synthesized) with the project's IAM matcher
(:mod:`lambda_dynamodb.iam.evaluation`, checked against moto's). A denied call
never reaches the emulator: it gets AWS's ``AccessDeniedException``, with AWS's message, like
the function would in AWS.

Hooks: botocore's ``before-parameter-build`` (sees the API parameters: decides) and
``before-call`` (may answer instead of sending: denies). Both are registered on one session's
event emitter; clients made from that session afterwards carry them. The handler runner
registers them on every session the process makes (:meth:`Enforcer.install_everywhere`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

# At import, not per call: a handler run from a package that holds its own ``lambda_dynamodb``
# (the run task's) must not have the enforcer import the package's modules in its place.
from lambda_dynamodb.iam.evaluation import allows, statements
from lambda_dynamodb.iam.dynamodb_operations import ArnBase, Permission, other_service_permission, request_permissions, secret_permission
from lambda_dynamodb.iam.policy import partition_of

_DECISION = "iam_enforcer_denied"
_STREAM_ARN = re.compile(r"arn:[\w-]+:dynamodb:[\w-]+:\d{12}:table/[\w.-]+/stream/[^|]+")


@dataclass(frozen=True)
class CheckedCall:
    """One (action, resource) pair of one request, and IAM's answer."""

    operation: str
    action: str
    resource: str
    allowed: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Policies:
    """The identity-based policies of a role, as deployed: (name, document) pairs."""

    documents: Sequence[tuple[str, Mapping[str, Any]]]

    @property
    def names(self) -> str:
        return ", ".join(name for name, _ in self.documents)

    def allows(self, action: str, resource: str) -> bool:
        """IAM's rule across policies: any explicit Deny wins, otherwise some Allow is needed.

        The role's policies are evaluated as one document (the same rule over all their
        statements), by the project's one IAM matcher, :mod:`lambda_dynamodb.iam.evaluation`.
        """
        merged = {"Statement": [s for _, document in self.documents for s in statements(document)]}
        return allows(merged, action, resource)


@dataclass
class Enforcer:
    """Evaluates, records and (when denied) refuses every call of the sessions it is installed on."""

    policies: Policies
    #: Who makes the calls: ``arn:<partition>:sts::<account>:assumed-role/<role>/<function>``.
    principal: str
    account: str
    calls: list[CheckedCall] = field(default_factory=list)
    #: Set while the enforcer asks Secrets Manager for a secret's ARN: that call is its own, unchecked.
    _resolving: bool = field(default=False, init=False, repr=False)

    def install(self, session: Any) -> None:
        """Hook a boto3 (or botocore) session: every client made from it afterwards is checked."""
        register = session.events.register if hasattr(session, "events") else session.register
        register("before-parameter-build", self._decide)
        register("before-call", self._refuse)

    def install_everywhere(self) -> None:
        """Hook every botocore session made from now on in this process (each boto3 session,
        the default one included, makes one): no client the code makes escapes the policy.

        For the process that runs a handler, and only it: the hook stays for its lifetime.
        """
        import botocore.session

        made = botocore.session.Session.__init__
        enforcer = self

        def hooked(session: Any, *args: Any, **kwargs: Any) -> None:
            made(session, *args, **kwargs)
            enforcer.install(session)

        botocore.session.Session.__init__ = hooked  # type: ignore[method-assign]

    def denied(self) -> list[CheckedCall]:
        return [call for call in self.calls if not call.allowed]

    def message(self, call: CheckedCall) -> str:
        """AWS's own wording of an AccessDenied for an identity-based policy."""
        return (
            f"User: {self.principal} is not authorized to perform: {call.action} on resource: {call.resource} "
            f"because no identity-based policy allows the {call.action} action"
        )

    def _decide(self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self._resolving:
            return
        region = context.get("client_region") or "us-east-1"
        checked = [self._check(model.name, p) for p in self._permissions(model, params, region)]
        self.calls += checked
        refused = [call for call in checked if not call.allowed]
        if refused:
            context[_DECISION] = self.message(refused[0])

    def _permissions(self, model: Any, params: Mapping[str, Any], region: str) -> tuple[Permission, ...]:
        service = model.service_model
        if service.endpoint_prefix == "dynamodb":
            return request_permissions(model.name, params, ArnBase(partition_of(region), region, self.account))
        if service.endpoint_prefix == "streams.dynamodb":
            return (stream_permission(model.name, params),)
        if service.endpoint_prefix == "sqs":
            return (queue_permission(model.name, params, partition_of(region), region, self.account),)
        if service.endpoint_prefix == "secretsmanager":
            arns = ArnBase(partition_of(region), region, self.account)
            return (secret_permission(model.name, params, arns, lambda secret: self._secret_arn(secret, region)),)
        return (other_service_permission(service.signing_name or service.endpoint_prefix, model.name),)

    def _secret_arn(self, secret_id: str, region: str) -> str | None:
        """The full ARN of the secret ``secret_id`` names, as IAM resolves it: DescribeSecret,
        made by the enforcer itself (not checked, not recorded) where this process's AWS settings
        point; None when there is no such secret."""
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        self._resolving = True
        try:
            client = boto3.session.Session(region_name=region).client("secretsmanager")
            return str(client.describe_secret(SecretId=secret_id)["ARN"])
        except (BotoCoreError, ClientError):
            return None
        finally:
            self._resolving = False

    def _check(self, operation: str, permission: Permission) -> CheckedCall:
        allowed = self.policies.allows(permission.action, permission.resource)
        return CheckedCall(operation, permission.action, permission.resource, allowed)

    def _refuse(self, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        message = context.pop(_DECISION, None)
        if message is None:
            return None
        from botocore.awsrequest import AWSResponse

        # What AWS answers: HTTP 400 with an AccessDeniedException; botocore raises it as a ClientError.
        response = AWSResponse("https://iam-enforcer.invalid/", 400, {"x-amzn-requestid": "iam-enforcer"}, None)
        parsed = {
            "Error": {"Code": "AccessDeniedException", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "iam-enforcer", "HTTPHeaders": {}},
        }
        return response, parsed


def stream_permission(operation: str, params: Mapping[str, Any]) -> Permission:
    """A DynamoDB Streams request: ``dynamodb:<operation>`` on the stream's ARN.

    IAM authorizes DescribeStream, GetShardIterator and GetRecords on the stream
    (``arn:...:table/<table>/stream/<label>``), ListStreams on ``*`` only (AWS's service
    authorization reference gives it no resource type). GetRecords names no ARN, only a shard
    iterator, which DynamoDB Streams makes as ``<stream arn>|<n>|<opaque>``: its stream is the
    part before the first ``|``; an iterator of another shape is checked against ``*``.
    """
    if "StreamArn" in params:
        return Permission(f"dynamodb:{operation}", str(params["StreamArn"]))
    iterator = str(params.get("ShardIterator", ""))
    prefix = iterator.split("|", 1)[0]
    if iterator and _STREAM_ARN.fullmatch(prefix):
        return Permission(f"dynamodb:{operation}", prefix)
    return Permission(f"dynamodb:{operation}", "*")


def queue_permission(operation: str, params: Mapping[str, Any], partition: str, region: str, account: str) -> Permission:
    """An SQS request: ``sqs:<operation>`` on the queue's ARN (``arn:...:sqs:<region>:<account>:<name>``).

    The queue is named by its URL (``.../<account>/<name>``, also on an emulator's endpoint) or,
    for CreateQueue and GetQueueUrl, by its name (in ``QueueOwnerAWSAccountId``'s account, the
    caller's otherwise). ListQueues and the other account-level calls are checked against ``*``.
    """
    url = params.get("QueueUrl")
    if url:
        owner, name = urlparse(str(url)).path.strip("/").split("/")[-2:]
        return Permission(f"sqs:{operation}", f"arn:{partition}:sqs:{region}:{owner}:{name}")
    if "QueueName" in params:
        owner = str(params.get("QueueOwnerAWSAccountId") or account)
        return Permission(f"sqs:{operation}", f"arn:{partition}:sqs:{region}:{owner}:{params['QueueName']}")
    return Permission(f"sqs:{operation}", "*")


def assumed_role_principal(role_arn: str, session_name: str) -> str:
    """The principal a function's calls come from: its role, assumed under the function's name."""
    partition, account, role = role_arn.split(":")[1], role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    return f"arn:{partition}:sts::{account}:assumed-role/{role}/{session_name}"


def attached_policies(iam: Any, role_name: str) -> Policies:
    """The role's managed and inline policies, read back from IAM (the policy as deployed)."""
    documents: list[tuple[str, Mapping[str, Any]]] = []
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        documents.append((policy["PolicyName"], version["PolicyVersion"]["Document"]))
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        documents.append((name, iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]))
    return Policies(documents)
