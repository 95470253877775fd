"""The IAM role a function runs as: trust policy, customer-managed policy, attachment."""

from __future__ import annotations

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

from .policy import LAMBDA_TRUST, ArnContext, PolicyDocument, Statement
from .settings import RoleSettings

#: Id of the stack-wide construct holding the partition/region/account data sources.
_ARN_CONTEXT_ID = "lambda_dynamodb_arn_context"


class FunctionRole(Construct):
    """``aws_iam_role`` trusted by Lambda, with one customer-managed policy attached.

    The policy's statements are kept as a :class:`PolicyDocument` (readable as
    :attr:`document`) and emitted as an ``aws_iam_policy_document`` data source; grants add
    statements to both.
    """

    def __init__(self, scope: Construct, id: str, settings: RoleSettings) -> None:
        super().__init__(scope, id)
        self._document = PolicyDocument()
        self._context = stack_arn_context(self)
        trust = _policy_document(self, "trust", LAMBDA_TRUST, self._context)
        self._permissions = _policy_document(self, "permissions", self._document, self._context)
        tags = dict(settings.tags) or None
        self._role = IamRole(
            self,
            "role",
            name=settings.name,
            path=settings.path,
            assume_role_policy=trust.json,
            permissions_boundary=settings.permissions_boundary_arn,
            tags=tags,
        )
        self._policy = IamPolicy(
            self,
            "policy",
            name=settings.policy_name,
            path=settings.path,
            description=f"What the role {settings.name} may do",
            policy=self._permissions.json,
            tags=tags,
        )
        self._attachment = IamRolePolicyAttachment(self, "attachment", role=self._role.name, policy_arn=self._policy.arn)

    def add_statements(self, *statements: Statement) -> None:
        self._document = self._document.with_statements(*statements)
        self._permissions.put_statement(_terraform_statements(self._document, self._context))

    @property
    def arn_context(self) -> ArnContext:
        """The stack's partition, region and account, as Terraform expressions."""
        return self._context

    @property
    def document(self) -> PolicyDocument:
        """The policy's statements as a pure-Python model (render it with concrete values)."""
        return self._document

    @property
    def role(self) -> IamRole:
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
