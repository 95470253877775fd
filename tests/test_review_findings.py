"""The review's findings and model (lambda_dynamodb.review.model.plan_review), pure, on hand-written plans.

Plans are in the shape `terraform show -json` writes (resource_changes with before/after,
after_unknown, before_sensitive/after_sensitive, replace_paths; prior_state with the ARN
context data sources; resource_drift); manifests are built with the manifest's own model and
written as synthesis writes them. One behaviour per test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb.iam.permissions import Verdict
from lambda_dynamodb.review.findings import Kind, Level, Section
from lambda_dynamodb.review.model import PlanReview, plan_review
from lambda_dynamodb.synthesis.manifest_model import (
    ACCOUNT_PLACEHOLDER,
    FILE_NAME,
    CallEntry,
    FunctionEntry,
    Generator,
    Manifest,
    PermissionEntry,
    RoleEntry,
    TableEntry,
)

ACCOUNT = "123456789012"
ORDERS_ARN = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/Orders"
POLICY = "aws_iam_policy.api_policy"
FUNCTION = "aws_lambda_function.api"
TABLE = "aws_dynamodb_table.orders"


# --- plans and manifests ----------------------------------------------------------------------


def change(address: str, actions: list[str], before: dict[str, Any] | None, after: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    kind, name = address.split(".")
    body = {"actions": actions, "before": before, "after": after, "after_unknown": {}, "before_sensitive": False, "after_sensitive": {}}
    return {"address": address, "mode": "managed", "type": kind, "name": name, "change": {**body, **extra}}


def plan_of(*changes: dict[str, Any], drift: tuple[str, ...] = ()) -> dict[str, Any]:
    def data(kind: str, **values: str) -> dict[str, Any]:
        return {"address": f"data.{kind}.c", "mode": "data", "type": kind, "name": "c", "values": values}

    context = [data("aws_partition", partition="aws"), data("aws_region", name="eu-west-1"), data("aws_caller_identity", account_id=ACCOUNT)]
    drifted = [change(address, ["update"], {}, {}) for address in drift]
    return {
        "format_version": "1.2",
        "resource_changes": list(changes),
        "resource_drift": drifted,
        "prior_state": {"values": {"root_module": {"resources": context}}},
    }


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: str | list[str], resources: str | list[str] = ORDERS_ARN, key: str = "Action") -> dict[str, Any]:
    return {"Effect": "Allow", key: actions, "Resource": resources}


def policy(*statements: dict[str, Any], actions: list[str] | None = None, address: str = POLICY) -> dict[str, Any]:
    return change(address, actions or ["create"], None, {"name": "api-policy", "policy": document(*statements)})


def table(actions: list[str], before: dict[str, Any] | None, after: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return change(TABLE, actions, before, after, **extra)


def call(action: str, table_ref: str | None = "env:TABLE_NAME", line: int = 12, index: str | None = None) -> CallEntry:
    return CallEntry("functions/api/app.py", line, "get_item", action.split(":")[1], (action,), table_ref, index)


def row(action: str, verdict: Verdict, resource: str = ORDERS_ARN, why: str = "functions/api/app.py:12 get_item") -> PermissionEntry:
    return PermissionEntry(action, resource.replace(ACCOUNT, ACCOUNT_PLACEHOLDER), (why,), verdict)


def function(*, calls: tuple[CallEntry, ...] = (), permissions: tuple[PermissionEntry, ...] = (), name: str = "orders-api") -> FunctionEntry:
    orders = TableEntry("Orders", "from_code", "TABLE_NAME", f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_PLACEHOLDER}:table/Orders")
    role = RoleEntry(f"{name}-role", "aws_iam_role.api_role", "api-policy", POLICY, existing=False)
    return FunctionEntry(
        name=name, path=f"orders/{name}", address=FUNCTION, role=role, permissions=permissions, findings=(), tables=(orders,),
        triggers=(), url=None, calls=calls, unresolved=(), package=None, source="functions/api", checked=True,
    )


def stack_dir(root: Path, *functions: FunctionEntry, text: str | None = None) -> Path:
    """A stack folder as synthesis leaves it (cdk.tf.json beside the manifest)."""
    folder = root / "stacks" / "orders"
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text("{}")
    manifest = Manifest("orders", "eu-west-1", "aws", Generator("cdktf-lambda-dynamodb", "0.1.0"), tuple(functions))
    (folder / FILE_NAME).write_bytes(manifest.to_json() if text is None else text.encode())
    return folder


def reviewed(plan: dict[str, Any], tmp_path: Path | None = None, *functions: FunctionEntry) -> PlanReview:
    return plan_review(plan, stack_dir=stack_dir(tmp_path, *functions) if tmp_path else None)


def kinds(review: PlanReview) -> list[tuple[Level, Kind]]:
    return [(f.level, f.kind) for f in review.findings]


# --- replacements and deletions ---------------------------------------------------------------


def test_a_replaced_table_is_an_error_saying_its_items_are_lost() -> None:
    replaced = table(["delete", "create"], {"name": "Orders"}, {"name": "Orders2"}, replace_paths=[["name"]])
    (finding,) = reviewed(plan_of(replaced)).findings
    assert (finding.level, finding.kind, finding.section, finding.address) == (Level.ERROR, Kind.TABLE_LOST, Section.CHANGES, TABLE)
    assert "forced by `name`" in finding.text and "its items are lost" in finding.text


def test_a_destroyed_table_is_an_error() -> None:
    assert kinds(reviewed(plan_of(table(["delete"], {"name": "Orders"}, None)))) == [(Level.ERROR, Kind.TABLE_LOST)]


def test_a_replaced_log_group_is_a_warning_naming_what_is_lost() -> None:
    group = change("aws_cloudwatch_log_group.logs", ["create", "delete"], {"name": "/a"}, {"name": "/b"}, replace_paths=[["name"]])
    (finding,) = reviewed(plan_of(group)).findings
    assert (finding.level, finding.kind) == (Level.WARNING, Kind.REPLACEMENT) and "events are lost" in finding.text


def test_a_destroyed_log_group_is_a_destroy_warning() -> None:
    group = change("aws_cloudwatch_log_group.logs", ["delete"], {"name": "/a"}, None)
    assert kinds(reviewed(plan_of(group))) == [(Level.WARNING, Kind.DESTROY)]


def test_another_replacement_is_a_warning() -> None:
    replaced = {**change(FUNCTION, ["delete", "create"], {"function_name": "a"}, {"function_name": "b"}), "action_reason": "replace_because_tainted"}
    (finding,) = reviewed(plan_of(replaced)).findings
    assert (finding.level, finding.kind) == (Level.WARNING, Kind.REPLACEMENT) and "because the resource is tainted" in finding.text


def test_destroying_what_holds_no_data_is_no_finding() -> None:
    assert reviewed(plan_of(change(FUNCTION, ["delete"], {"function_name": "a"}, None))).findings == ()


def test_turning_deletion_protection_off_is_a_warning() -> None:
    update = table(["update"], {"name": "Orders", "deletion_protection_enabled": True}, {"name": "Orders", "deletion_protection_enabled": False})
    assert kinds(reviewed(plan_of(update))) == [(Level.WARNING, Kind.DELETION_PROTECTION_OFF)]


def test_turning_deletion_protection_on_is_no_finding() -> None:
    update = table(["update"], {"name": "Orders", "deletion_protection_enabled": False}, {"name": "Orders", "deletion_protection_enabled": True})
    assert reviewed(plan_of(update)).findings == ()


# --- wildcard actions -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["dynamodb:*", "*", "dynamodb:Get?tem"])
def test_a_wildcard_action_is_an_error(action: str) -> None:
    (finding,) = reviewed(plan_of(policy(allow(action)))).findings
    assert (finding.level, finding.kind, finding.address) == (Level.ERROR, Kind.WILDCARD_ACTION, POLICY)
    assert f"allows `{action}` on `{ORDERS_ARN}`" in finding.text


def test_not_action_is_a_wildcard_error() -> None:
    (finding,) = reviewed(plan_of(policy(allow("iam:*", "*", key="NotAction")))).findings
    assert finding.kind is Kind.WILDCARD_ACTION and "every action but `iam:*` (NotAction)" in finding.text


def test_a_denied_wildcard_is_no_finding() -> None:
    assert reviewed(plan_of(policy({"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}))).findings == ()


def test_one_wildcard_finding_per_policy_and_action() -> None:
    (finding,) = reviewed(plan_of(policy(allow("dynamodb:*", [ORDERS_ARN, f"{ORDERS_ARN}/index/*"])))).findings
    assert f"`{ORDERS_ARN}`, `{ORDERS_ARN}/index/*`" in finding.text


def test_a_roles_inline_policy_wildcard_is_an_error() -> None:
    role = change("aws_iam_role.r", ["create"], None, {"name": "r", "inline_policy": [{"name": "inline", "policy": document(allow("s3:*", "*"))}]})
    (finding,) = reviewed(plan_of(role)).findings
    assert finding.kind is Kind.WILDCARD_ACTION and "(role r, inline policy inline)" in finding.text


def test_a_destroyed_policy_grants_nothing() -> None:
    destroyed = change(POLICY, ["delete"], {"name": "api-policy", "policy": document(allow("dynamodb:*"))}, None)
    assert reviewed(plan_of(destroyed)).findings == ()


# --- calls the policy lacks, grants no code uses ------------------------------------------------


def test_a_call_the_policy_lacks_is_a_missing_permission(tmp_path: Path) -> None:
    review = reviewed(plan_of(policy(allow("dynamodb:GetItem"))), tmp_path, function(calls=(call("dynamodb:PutItem", line=40),)))
    (finding,) = review.findings
    assert (finding.level, finding.kind, finding.address) == (Level.ERROR, Kind.MISSING_PERMISSION, POLICY)
    assert f"function `orders-api` calls `dynamodb:PutItem` on table `Orders` (`{ORDERS_ARN}`) (functions/api/app.py:40)" in finding.text


def test_a_call_the_policy_allows_is_no_finding(tmp_path: Path) -> None:
    assert reviewed(plan_of(policy(allow("dynamodb:GetItem"))), tmp_path, function(calls=(call("dynamodb:GetItem"),))).findings == ()


def test_a_call_naming_its_table_literally_is_checked(tmp_path: Path) -> None:
    review = reviewed(plan_of(policy(allow("dynamodb:GetItem"))), tmp_path, function(calls=(call("dynamodb:GetItem", "Invoices"),)))
    (finding,) = review.findings
    assert finding.kind is Kind.MISSING_PERMISSION and "table `Invoices` (`arn:aws:dynamodb:eu-west-1:123456789012:table/Invoices`)" in finding.text


def test_a_call_on_an_index_needs_the_index(tmp_path: Path) -> None:
    review = reviewed(plan_of(policy(allow("dynamodb:Query"))), tmp_path, function(calls=(call("dynamodb:Query", index="by-date"),)))
    assert kinds(review) == [(Level.ERROR, Kind.MISSING_PERMISSION)]


def test_a_manifest_row_with_verdict_missing_is_an_error(tmp_path: Path) -> None:
    review = reviewed(plan_of(), tmp_path, function(permissions=(row("dynamodb:DeleteItem", Verdict.MISSING),)))
    (finding,) = review.findings
    assert finding.kind is Kind.MISSING_PERMISSION and f"`dynamodb:DeleteItem` on `{ORDERS_ARN}`" in finding.text


def test_calls_are_not_judged_without_the_plans_account(tmp_path: Path) -> None:
    plan = {**plan_of(policy(allow("dynamodb:GetItem"))), "prior_state": {}}
    assert reviewed(plan, tmp_path, function(calls=(call("dynamodb:PutItem"),))).findings == ()


def test_unused_grants_are_one_warning_per_function(tmp_path: Path) -> None:
    unused = (row("dynamodb:Scan", Verdict.UNUSED), row("dynamodb:Query", Verdict.UNUSED), row("dynamodb:GetItem", Verdict.USED))
    (finding,) = reviewed(plan_of(), tmp_path, function(permissions=unused)).findings
    assert (finding.level, finding.kind, finding.address) == (Level.WARNING, Kind.UNUSED_GRANT, POLICY)
    assert "grants `dynamodb:Scan`, `dynamodb:Query`, which no code in `functions/api` calls" in finding.text


# --- public function URLs, plan checks -----------------------------------------------------------


def test_a_public_function_url_is_a_warning() -> None:
    url = change("aws_lambda_function_url.u", ["create"], None, {"function_name": "orders-api", "authorization_type": "NONE"})
    (finding,) = reviewed(plan_of(url)).findings
    assert (finding.level, finding.kind, finding.section) == (Level.WARNING, Kind.PUBLIC_URL, Section.LEAST_PRIVILEGE)


def test_an_iam_function_url_is_no_finding() -> None:
    url = change("aws_lambda_function_url.u", ["create"], None, {"function_name": "orders-api", "authorization_type": "AWS_IAM"})
    assert reviewed(plan_of(url)).findings == ()


def test_a_ttl_move_is_an_error_aws_refuses() -> None:
    ttl = lambda name: {"name": "Orders", "ttl": [{"enabled": True, "attribute_name": name}]}  # noqa: E731
    (finding,) = reviewed(plan_of(table(["update"], ttl("a"), ttl("b")))).findings
    assert (finding.level, finding.kind, finding.section) == (Level.ERROR, Kind.AWS_REFUSES, Section.PLAN_CHECKS)


def test_a_policy_shrunk_before_its_function_leaves_the_vpc_is_an_update_order_error() -> None:
    eni = ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
    vpc = {"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]}
    before = {"function_name": "fn", "vpc_config": [vpc], "tracing_config": [{"mode": "PassThrough"}]}
    function_update = change(FUNCTION, ["update"], before, {**before, "vpc_config": []})
    logs = allow(["logs:CreateLogStream", "logs:PutLogEvents"], "*")
    shrunk = change(POLICY, ["update"], {"policy": document(logs, allow([*eni, "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], "*"))}, {"policy": document(logs)})
    assert kinds(reviewed(plan_of(function_update, shrunk))) == [(Level.ERROR, Kind.UPDATE_ORDER)]


def test_a_call_and_its_missing_row_are_one_finding(tmp_path: Path) -> None:
    put = function(calls=(call("dynamodb:PutItem", line=40),), permissions=(row("dynamodb:PutItem", Verdict.MISSING, why="functions/api/app.py:40 put_item"),))
    (finding,) = reviewed(plan_of(policy(allow("dynamodb:GetItem"))), tmp_path, put).findings
    assert "(functions/api/app.py:40)" in finding.text
