"""What a plan would do on AWS that the emulator lets through: pure, from `terraform show -json`.

Each finding is a change the local emulator (moto) applies but AWS refuses or leaves half done,
found in the plan before anything is applied:

- **TTL moved to another attribute** while it is on: DynamoDB refuses ("TimeToLive is active on
  a different AttributeName"); it takes two deploys.
- **TTL turned off without naming its attribute**: the provider sends DynamoDB an empty
  attribute name, which it refuses; the module's ``previous_ttl_attribute`` names it.
- **A policy change that removes what the function still needs**: the function depends on its
  policy attachment, so Terraform changes the policy first; Lambda then cleans up after the old
  configuration (a VPC's network interfaces, say) with permissions it no longer has, and leaves
  them behind, blocking the deletion of the subnet or security group. It takes two applies:
  the function first, then the policy.

The review makes each an error (:mod:`lambda_dynamodb.review.findings`) and puts it at the top of
plan.md; `make deploy` refuses an update that has any. Policies are matched by :mod:`lambda_dynamodb.iam.evaluation`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from lambda_dynamodb.config.enums import TracingMode
from lambda_dynamodb.iam.evaluation import allows
from lambda_dynamodb.iam.lambda_service import Feature, Requirement, ServiceUse, log_group_name, requirements
from lambda_dynamodb.iam.policy import ArnContext
from lambda_dynamodb.review.plan_file import SENSITIVE, Json, arn_context, sensitive

TABLE, FUNCTION, POLICY = "aws_dynamodb_table", "aws_lambda_function", "aws_iam_policy"
#: What Lambda still does with the role after a feature is removed, while it moves the function
#: off it: deleting its VPC network interfaces, reading its environment until the new one is in
#: place, sending the events still failing to the dead-letter target. (Without X-Ray for a moment
#: a few traces are lost, nothing else: tracing is left out.)
ORDER_SENSITIVE = frozenset({Feature.VPC, Feature.ENVIRONMENT_KEY, Feature.DEAD_LETTERS})


def aws_findings(plan: Json) -> list[str]:
    """Every change of ``plan`` that AWS would refuse or leave half done, one line each."""
    return [text for _, text in ttl_checks(plan) + order_checks(plan)]


def _updates(plan: Json) -> list[Json]:
    return [entry for entry in plan.get("resource_changes", []) if "update" in entry["change"]["actions"]]


def ttl_checks(plan: Json) -> list[tuple[str, str]]:
    """(address, finding) for each table whose TTL change DynamoDB refuses."""
    return [(entry["address"], f) for entry in _updates(plan) if entry["type"] == TABLE for f in _ttl_findings(entry)]


def order_checks(plan: Json) -> list[tuple[str, str]]:
    """(address, finding) for each function whose policy would change before it (see the module's docstring)."""
    return list(_order_findings(plan, _updates(plan)))


def _ttl_findings(entry: Json) -> Iterator[str]:
    change = entry["change"]
    before, after = _ttl(change.get("before")), _ttl(change.get("after"))
    if not before.get("enabled"):
        return
    old, new = before.get("attribute_name"), after.get("attribute_name")
    # The attribute names are the plan's values: never shown when it marks the TTL block sensitive.
    shown_old = SENSITIVE if sensitive(change, "before", "ttl") else old
    shown_new = SENSITIVE if sensitive(change, "after", "ttl") else new
    if after.get("enabled") and new != old:
        yield (
            f"`{entry['address']}`: TTL moves from `{shown_old}` to `{shown_new}` while it is on, which DynamoDB refuses "
            f"(\"TimeToLive is active on a different AttributeName\"). Deploy twice: first ttl_attribute=None with "
            f"previous_ttl_attribute='{shown_old}', then ttl_attribute='{shown_new}'."
        )
    elif not after.get("enabled") and not new:
        yield (
            f"`{entry['address']}`: TTL is turned off without naming its attribute, which DynamoDB refuses "
            f"(the provider sends an empty name). Set previous_ttl_attribute='{shown_old}'."
        )


def _ttl(attributes: Json | None) -> Json:
    blocks = (attributes or {}).get("ttl") or [{}]
    return blocks[0] or {}


def _order_findings(plan: Json, updates: list[Json]) -> Iterator[tuple[str, str]]:
    context = arn_context(plan)
    before_policies, after_policies = _policies(plan, "before"), _policies(plan, "after")
    if context is None or not before_policies:
        return
    for entry in (u for u in updates if u["type"] == FUNCTION):
        needed = [r for r in requirements(_service_use(entry["change"]["before"])) if r.feature in ORDER_SENSITIVE]
        removed = [r for r in needed if _allowed(before_policies, r, context) and not _allowed(after_policies, r, context)]
        for reason in dict.fromkeys(r.reason for r in removed):
            actions = ", ".join(sorted({r.action for r in removed if r.reason == reason}))
            yield entry["address"], (
                f"`{entry['address']}`: the policy change removes {actions}, which the function still needs as deployed "
                f"({reason}), and Terraform changes the policy first. Apply in two steps: the function first "
                f"(`terraform apply -target={entry['address']}`), then everything."
            )


def _service_use(function: Json) -> ServiceUse:
    """What Lambda does for a function, from its Terraform attributes (as deployed)."""
    vpc = (function.get("vpc_config") or [{}])[0] or {}
    logging = (function.get("logging_config") or [{}])[0] or {}
    tracing = (function.get("tracing_config") or [{}])[0] or {}
    return ServiceUse(
        log_group=logging.get("log_group") or log_group_name(function["function_name"]),
        tracing=TracingMode(tracing.get("mode") or TracingMode.PASS_THROUGH.value),
        subnet_ids=tuple(vpc.get("subnet_ids") or ()),
        security_group_ids=tuple(vpc.get("security_group_ids") or ()),
        dead_letter_target_arn=((function.get("dead_letter_config") or [{}])[0] or {}).get("target_arn"),
        environment_kms_key_arn=function.get("kms_key_arn") or None,
    )


def _policies(plan: Json, side: str) -> list[Json]:
    documents = []
    for entry in plan.get("resource_changes", []):
        text = (entry["change"].get(side) or {}).get("policy") if entry["type"] == POLICY else None
        if isinstance(text, str) and text:
            documents.append(json.loads(text))
    return documents


def _allowed(documents: list[Json], requirement: Requirement, context: ArnContext) -> bool:
    return any(allows(document, requirement.action, requirement.resource.render(context)) for document in documents)

