"""The stack as a Graphviz digraph, from a Terraform plan's planned values: pure, deterministic.

Function, role, policy, table and log group, with "runs as" and "attached" edges from the
plan's references and permission edges labeled with the actions the planned policy allows
(matched by :mod:`lambda_dynamodb.iam.evaluation`, IAM's own wildcards).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from lambda_dynamodb.iam.evaluation import Grant, acts_on_service, reaches
from lambda_dynamodb.iam.policy import ArnContext, Effect
from lambda_dynamodb.review.iam_diff import policy_grants
from lambda_dynamodb.review.plan_file import SENSITIVE, Json, arn_context, marked, module_resources
from lambda_dynamodb.review.changes import NAME_ATTRIBUTES, text_or_none


# --- the architecture diagram (pure) ---------------------------------------------------------


class NodeKind(Enum):
    """The resources the diagram draws, by Terraform type (listed in drawing order)."""

    FUNCTION = "aws_lambda_function"
    ROLE = "aws_iam_role"
    POLICY = "aws_iam_policy"
    TABLE = "aws_dynamodb_table"
    LOG_GROUP = "aws_cloudwatch_log_group"


@dataclass(frozen=True)
class KindStyle:
    title: str
    fill: str
    shape: str = "box"
    #: How to build the resource's ARN when the plan does not know it yet (first plan, replacement).
    arn_format: str | None = None
    #: What separates the ARN from a sub-resource's (table/T/index/..., log-group:G:log-stream:...).
    subresource_separator: str = ":"


STYLES: dict[NodeKind, KindStyle] = {
    NodeKind.FUNCTION: KindStyle("Lambda function", "#FFE0B2", arn_format="arn:{partition}:lambda:{region}:{account}:function:{name}"),
    NodeKind.ROLE: KindStyle("IAM role", "#FFCDD2"),
    NodeKind.POLICY: KindStyle("IAM policy", "#FFCDD2", shape="note"),
    NodeKind.TABLE: KindStyle(
        "DynamoDB table", "#BBDEFB", shape="cylinder", arn_format="arn:{partition}:dynamodb:{region}:{account}:table/{name}",
        subresource_separator="/",
    ),
    NodeKind.LOG_GROUP: KindStyle(
        "CloudWatch log group", "#F8BBD0", shape="folder", arn_format="arn:{partition}:logs:{region}:{account}:log-group:{name}"
    ),
}


@dataclass(frozen=True)
class Node:
    address: str
    kind: NodeKind
    name: str
    arn: str | None
    values: Json


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: tuple[str, ...]


def diagram_nodes(plan: Json) -> tuple[Node, ...]:
    """The drawn resources as planned (what exists after apply), in kind then address order."""
    context = arn_context(plan)
    nodes = []
    for resource in module_resources(plan.get("planned_values", {}).get("root_module", {})):
        if resource.get("mode") != "managed" or resource["type"] not in {kind.value for kind in NodeKind}:
            continue
        kind, values = NodeKind(resource["type"]), _shown_values(resource)
        name = str(values.get(NAME_ATTRIBUTES.get(kind.value, "name")) or resource["name"])
        nodes.append(Node(resource["address"], kind, name, _arn(kind, name, values, context), values))
    order = list(NodeKind)
    return tuple(sorted(nodes, key=lambda node: (order.index(node.kind), node.address)))


def _shown_values(resource: Json) -> Json:
    """The planned values with each one the plan marks sensitive replaced: the diagram never draws them."""
    values, marks = resource.get("values") or {}, resource.get("sensitive_values")
    return {key: SENSITIVE if marked(marks, key) else value for key, value in values.items()}


def _arn(kind: NodeKind, name: str, values: Json, context: ArnContext | None) -> str | None:
    if isinstance(values.get("arn"), str):
        return str(values["arn"])
    template = STYLES[kind].arn_format
    if template is None or context is None:
        return None
    return template.format(name=name, partition=context.partition, region=context.region, account=context.account)


def diagram_edges(plan: Json, nodes: Sequence[Node]) -> tuple[Edge, ...]:
    """function -> role (runs as), role -> policy (attached), policy -> resource (the actions it allows there)."""
    by_address = {node.address: node for node in nodes}
    configuration = {
        resource["address"]: resource
        for resource in plan.get("configuration", {}).get("root_module", {}).get("resources", [])
    }
    edges: set[Edge] = set()
    for node in nodes:
        if node.kind is NodeKind.FUNCTION:
            edges |= {Edge(node.address, role, ("runs as",)) for role in _references(configuration.get(node.address), "role", by_address)}
        if node.kind is NodeKind.POLICY:
            edges |= _permission_edges(node, nodes)
    for address, resource in configuration.items():
        if address.startswith("aws_iam_role_policy_attachment."):
            for role in _references(resource, "role", by_address):
                edges |= {Edge(role, policy, ("attached",)) for policy in _references(resource, "policy_arn", by_address)}
    # In drawing order (function, role, policy, its targets): Graphviz lays nodes out in the order it meets them.
    rank = {node.address: index for index, node in enumerate(nodes)}
    return tuple(sorted(edges, key=lambda edge: (rank[edge.source], rank[edge.target], edge.label)))


def _references(resource: Json | None, attribute: str, nodes: Mapping[str, Node]) -> set[str]:
    """Addresses of drawn resources that ``attribute``'s expression refers to (from the plan's configuration)."""
    expression = ((resource or {}).get("expressions") or {}).get(attribute) or {}
    return {reference for reference in expression.get("references", []) if reference in nodes}


def _permission_edges(policy: Node, nodes: Sequence[Node]) -> set[Edge]:
    document = text_or_none(policy.values.get("policy"))
    if document == SENSITIVE:
        return set()  # a document the plan marks sensitive: its grants are not drawn
    allowed = [grant for grant in policy_grants(document) if grant.effect is Effect.ALLOW]
    edges = set()
    for target in nodes:
        actions = sorted({grant.action for grant in allowed if target.arn and _allows_on(grant, target.arn, target.kind)})
        if actions:
            edges.add(Edge(policy.address, target.address, tuple(actions)))
    return edges


def _allows_on(grant: Grant, arn: str, kind: NodeKind) -> bool:
    """Does ``grant`` reach the resource ``arn`` (or one of its sub-resources: indexes, log streams)?"""
    # An action acts only on its own service's resources: logs:CreateLogGroup on "*" is no table access.
    return acts_on_service(grant, arn.split(":")[2]) and reaches(grant, arn, STYLES[kind].subresource_separator)


def dot_source(plan: Json, stack: str) -> str:
    """The stack as a Graphviz digraph titled ``stack``: same plan in, same bytes out."""
    nodes = diagram_nodes(plan)
    lines = [
        f"digraph {_quote(stack)} {{",
        f'  graph [rankdir=LR, fontname="Helvetica", fontsize=14, labelloc=t, label={_quote(stack)}, pad=0.3, nodesep=0.5, ranksep=0.9];',
        '  node [style="filled,rounded", fontname="Helvetica", fontsize=11, color="#37474F"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#37474F"];',
    ]
    for node in nodes:
        style = STYLES[node.kind]
        label = _quote(f"{style.title}\n{node.name}")
        lines.append(f"  {_quote(node.address)} [label={label}, shape={style.shape}, fillcolor={_quote(style.fill)}];")
    for edge in diagram_edges(plan, nodes):
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} [label={_quote(chr(10).join(edge.label))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
