"""The IAM role a function runs as: trust policy, customer-managed policy, attachment."""

from __future__ import annotations

from collections.abc import Callable

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from lambda_dynamodb.iam.permissions import BY_HAND, ExtraGrant, GrantKind
from lambda_dynamodb.iam.policy import LAMBDA_TRUST, ArnContext, PolicyDocument, Statement
from lambda_dynamodb.config.settings import ExistingRole, RoleSettings
from lambda_dynamodb.config.tokens import literal, literal_map

#: Id of the stack-wide construct holding the partition/region/account data sources.
_ARN_CONTEXT_ID = "lambda_dynamodb_arn_context"


class FunctionRole(Construct):
    """``aws_iam_role`` trusted by Lambda, with one customer-managed policy attached.

    With :class:`~lambda_dynamodb.config.settings.ExistingRole`, no role is made: the policy is attached
    to the role of that name. The policy's statements are kept as a :class:`PolicyDocument`
    (:attr:`document`) and emitted as an ``aws_iam_policy_document`` data source. The function
    that runs as the role sets the statements it decides (:meth:`set_statements`); statements
    given later (:meth:`add_statements`, a table's ``grant``) follow them, in order, and the
    function's permission rows judge them too.
    """

    def __init__(self, scope: Construct, id: str, settings: RoleSettings | ExistingRole, *, policy_name: str | None = None) -> None:
        super().__init__(scope, id)
        self._settings = settings
        self._managed: tuple[Statement, ...] = ()
        self._extra: list[ExtraGrant] = []
        self._listeners: list[Callable[[], None]] = []
        self._document = PolicyDocument()
        self._context = stack_arn_context(self)
        self._permissions = _policy_document(self, "permissions", self._document, self._context)
        tags = literal_map(settings.tags) if isinstance(settings, RoleSettings) else None
        self._role = _role(self, settings, self._context, tags) if isinstance(settings, RoleSettings) else None
        name = settings.policy_name if isinstance(settings, RoleSettings) else policy_name or f"{settings.name}-policy"
        self._policy = IamPolicy(
            self,
            "policy",
            name=name,
            path=literal(settings.path),
            description=f"What the role {settings.name} may do",
            policy=self._permissions.json,
            tags=tags,
        )
        self.role_name: str = settings.name
        #: The policy's name as given (``policy.name`` is a reference).
        self.policy_name: str = name
        role_name = self._role.name if self._role is not None else settings.name
        self._attachment = IamRolePolicyAttachment(self, "attachment", role=role_name, policy_arn=self._policy.arn)

    def add_statements(self, *statements: Statement) -> tuple[Statement, ...]:
        """Give the role more statements (shown as "added by hand" unless something needs them)."""
        return self.record(statements, BY_HAND, GrantKind.HAND)

    def record(self, statements: tuple[Statement, ...], granted_by: str, kind: GrantKind) -> tuple[Statement, ...]:
        """Add statements with what grants them (a table's ``grant`` says so); returns them."""
        self._extra += [ExtraGrant(statement, granted_by, kind) for statement in statements]
        for listener in self._listeners:
            listener()
        self._emit()
        return statements

    def set_statements(self, statements: tuple[Statement, ...]) -> None:
        """The statements the function decides (its tables, what Lambda does): the policy's first."""
        self._managed = statements
        self._emit()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever statements are added (the function then re-judges them)."""
        self._listeners.append(listener)

    def _emit(self) -> None:
        self._document = PolicyDocument(self._managed + tuple(extra.statement for extra in self._extra))
        self._permissions.put_statement(_terraform_statements(self._document, self._context))

    @property
    def extra(self) -> tuple[ExtraGrant, ...]:
        """The statements given after the function was made, with what granted them."""
        return tuple(self._extra)

    @property
    def arn_context(self) -> ArnContext:
        """The stack's partition, region and account, as Terraform expressions."""
        return self._context

    @property
    def document(self) -> PolicyDocument:
        """The policy's statements as a pure-Python model (render it with concrete values)."""
        return self._document

    @property
    def name(self) -> str:
        return self._role.name if self._role is not None else self._settings.name

    @property
    def arn(self) -> str:
        """The role's ARN: the resource's, or built from an existing role's path and name."""
        if self._role is not None:
            return self._role.arn
        return f"arn:{self._context.partition}:iam::{self._context.account}:role{literal(self._settings.path)}{self._settings.name}"

    @property
    def role(self) -> IamRole | None:
        """The role resource; None for an existing role."""
        return self._role

    @property
    def policy(self) -> IamPolicy:
        return self._policy

    @property
    def attachment(self) -> IamRolePolicyAttachment:
        return self._attachment

    @property
    def permissions(self) -> DataAwsIamPolicyDocument:
        return self._permissions


def _role(scope: Construct, settings: RoleSettings, context: ArnContext, tags: dict[str, str] | None) -> IamRole:
    trust = _policy_document(scope, "trust", LAMBDA_TRUST, context)
    return IamRole(
        scope,
        "role",
        name=settings.name,
        path=literal(settings.path),
        assume_role_policy=trust.json,
        permissions_boundary=settings.permissions_boundary_arn,
        tags=tags,
    )


def stack_arn_context(scope: Construct) -> ArnContext:
    """Partition, region and account of ``scope``'s stack, as Terraform expressions.

    The data sources are created once per stack and shared by every role in it, so the
    policy documents are fully known at plan time (reviewers see real ARNs).
    """
    stack = TerraformStack.of(scope)
    holder = stack.node.try_find_child(_ARN_CONTEXT_ID)
    if holder is None:
        holder = Construct(stack, _ARN_CONTEXT_ID)
        DataAwsPartition(holder, "partition")
        DataAwsRegion(holder, "region")
        DataAwsCallerIdentity(holder, "account")
    partition = holder.node.find_child("partition")
    region = holder.node.find_child("region")
    account = holder.node.find_child("account")
    return ArnContext(partition.partition, region.name, account.account_id)  # type: ignore[attr-defined]


def _policy_document(scope: Construct, id: str, document: PolicyDocument, context: ArnContext) -> DataAwsIamPolicyDocument:
    return DataAwsIamPolicyDocument(scope, id, statement=_terraform_statements(document, context) or None)


def _terraform_statements(document: PolicyDocument, context: ArnContext) -> list[DataAwsIamPolicyDocumentStatement]:
    return [
        DataAwsIamPolicyDocumentStatement(
            effect=statement.effect.value,
            actions=list(statement.actions),
            resources=[arn.render(context) for arn in statement.resources] or None,
            principals=[
                DataAwsIamPolicyDocumentStatementPrincipals(type=p.type, identifiers=list(p.identifiers))
                for p in statement.principals
            ]
            or None,
        )
        for statement in document.statements
    ]
