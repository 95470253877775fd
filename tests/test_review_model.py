"""The plan review as one value (lambda_dynamodb.review.model): order, verdict, drift, manifests, sensitive values, plan.md.

Plans and manifests are made as in tests/test_review_findings.py (its helpers). One behaviour per test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_dynamodb.iam.permissions import Verdict
from lambda_dynamodb.review.findings import Finding, Kind, Level, Section
from lambda_dynamodb.review.iam_diff import PermissionChange
from lambda_dynamodb.review.model import NO_MANIFEST_GIVEN, IamRow, plan_review
from lambda_dynamodb.review.summary import summary_markdown

from conftest import PROJECT_DIR
from test_review_findings import (
    FUNCTION,
    ORDERS_ARN,
    POLICY,
    allow,
    change,
    document,
    function,
    plan_of,
    policy,
    reviewed,
    row,
    stack_dir,
    table,
)

SECRET = "orders-7f3a9c"


def update(before: list[str], after: list[str]) -> dict[str, object]:
    return change(POLICY, ["update"], {"name": "api-policy", "policy": document(allow(before))}, {"name": "api-policy", "policy": document(allow(after))})


# --- the findings: order and verdict ------------------------------------------------------------


def test_findings_are_ordered_by_section_then_level_then_address(tmp_path: Path) -> None:
    url = change("aws_lambda_function_url.u", ["create"], None, {"authorization_type": "NONE"})
    replaced = change("aws_lambda_function.z", ["delete", "create"], {"function_name": "z"}, {"function_name": "z"})
    lost = table(["delete"], {"name": "Orders"}, None)
    plan = plan_of(url, replaced, lost, policy(allow("dynamodb:*")))
    review = reviewed(plan, tmp_path, function(permissions=(row("dynamodb:Scan", Verdict.UNUSED),)))
    assert [(f.section, f.level, f.kind) for f in review.findings] == [
        (Section.CHANGES, Level.ERROR, Kind.TABLE_LOST),
        (Section.CHANGES, Level.WARNING, Kind.REPLACEMENT),
        (Section.LEAST_PRIVILEGE, Level.ERROR, Kind.WILDCARD_ACTION),
        (Section.LEAST_PRIVILEGE, Level.WARNING, Kind.UNUSED_GRANT),
        (Section.LEAST_PRIVILEGE, Level.WARNING, Kind.PUBLIC_URL),
    ]


def test_an_error_fails_the_review() -> None:
    review = reviewed(plan_of(table(["delete"], {"name": "Orders"}, None)))
    assert not review.passed and len(review.errors) == 1 and review.warnings == ()


def test_warnings_alone_pass() -> None:
    review = reviewed(plan_of(change("aws_lambda_function_url.u", ["create"], None, {"authorization_type": "NONE"})))
    assert review.passed and len(review.warnings) == 1


def test_a_finding_is_one_line() -> None:
    with pytest.raises(ValueError, match="Finding.text 'a\\\\nb' has a newline"):
        Finding(Level.INFO, Kind.DESTROY, Section.CHANGES, "x.y", "a\nb")


# --- IAM changes per role -------------------------------------------------------------------------


def test_added_rows_carry_the_manifests_verdict_and_why(tmp_path: Path) -> None:
    review = reviewed(plan_of(policy(allow("dynamodb:Scan"))), tmp_path, function(permissions=(row("dynamodb:Scan", Verdict.UNUSED, why="granted by access 'read'"),)))
    (role,) = review.roles
    assert role.rows == (IamRow(PermissionChange.ADDED, "dynamodb:Scan", ORDERS_ARN, "granted by access 'read'", "unused"),)


def test_removed_rows_have_verdict_removed() -> None:
    (role,) = reviewed(plan_of(update(["dynamodb:GetItem", "dynamodb:PutItem"], ["dynamodb:GetItem"]))).roles
    assert role.rows == (IamRow(PermissionChange.REMOVED, "dynamodb:PutItem", ORDERS_ARN, "no longer granted", "removed"),)


def test_a_row_the_manifest_lacks_has_no_verdict(tmp_path: Path) -> None:
    (role,) = reviewed(plan_of(policy(allow("dynamodb:GetItem"))), tmp_path, function()).roles
    assert [(r.why, r.verdict) for r in role.rows] == [("", "")]


def test_a_role_names_the_manifest_function_it_belongs_to(tmp_path: Path) -> None:
    review = reviewed(plan_of(policy(allow("dynamodb:GetItem"))), tmp_path, function())
    assert [(r.policy, r.address, r.function) for r in review.roles] == [("api-policy", POLICY, "orders-api")]


def test_roles_are_sorted_by_policy() -> None:
    second = change("aws_iam_policy.b", ["create"], None, {"name": "b-policy", "policy": document(allow("dynamodb:GetItem"))})
    first = change("aws_iam_policy.a", ["create"], None, {"name": "a-policy", "policy": document(allow("dynamodb:GetItem"))})
    assert [r.policy for r in reviewed(plan_of(second, first)).roles] == ["a-policy", "b-policy"]


# --- drift ----------------------------------------------------------------------------------------


def test_drift_lists_the_resources_changed_outside_terraform() -> None:
    review = reviewed(plan_of(drift=(FUNCTION, "aws_dynamodb_table.orders")))
    assert review.drift == ("aws_dynamodb_table.orders", FUNCTION)
    assert f"**Changed outside Terraform (drift):** `aws_dynamodb_table.orders`, `{FUNCTION}`." in summary_markdown(review)


# --- which manifest -------------------------------------------------------------------------------


def test_a_stack_folder_gives_its_manifest_and_stack(tmp_path: Path) -> None:
    review = plan_review(plan_of(), stack_dir=stack_dir(tmp_path, function()))
    assert (review.stack, review.title, review.why_unavailable) == ("orders", "orders", None)


def test_a_stack_folder_without_a_manifest_says_so(tmp_path: Path) -> None:
    review = plan_review(plan_of(), stack_dir=tmp_path, untitled="run-1")
    assert review.title == "run-1" and review.stack is None
    assert review.why_unavailable == f"no permissions manifest applies: {tmp_path}: no lambda-dynamodb.permissions.json: " + (
        "the stack uses no function of cdktf-lambda-dynamodb, or was synthesized by an older version"
    )


def test_a_manifest_of_an_unknown_version_says_why_and_does_not_raise(tmp_path: Path) -> None:
    text = json.dumps({"schema": "lambda-dynamodb.permissions", "version": 99})
    review = plan_review(plan_of(), stack_dir=stack_dir(tmp_path, text=text))
    assert "schema version 99 is unknown to this reader (it reads version 1)" in (review.why_unavailable or "")


def test_without_a_folder_there_is_no_manifest() -> None:
    assert plan_review(plan_of()).why_unavailable == NO_MANIFEST_GIVEN


def test_outdir_and_stack_dir_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="give at most one of the two"):
        plan_review(plan_of(), outdir=tmp_path, stack_dir=tmp_path)


def test_the_example_services_synthesized_folder_is_reviewed(example_stack_dir: Path) -> None:
    # The real writer's manifest: orders-http is granted read but calls only GetItem and Query.
    review = plan_review(plan_of(), stack_dir=example_stack_dir)
    assert review.stack == "orders-service"
    (unused,) = [f for f in review.findings if f.kind is Kind.UNUSED_GRANT]
    assert unused.text.startswith("function `orders-http`: its policy `orders-http-policy` grants `dynamodb:BatchGetItem`, `dynamodb:Scan`")


# --- sensitive values -----------------------------------------------------------------------------


def test_a_sensitive_name_is_never_shown() -> None:
    lost = table(["delete"], {"name": SECRET}, None, before_sensitive={"name": True})
    review = reviewed(plan_of(lost))
    assert review.changes[0].name == "(sensitive)" and "(sensitive)" in review.findings[0].text
    assert SECRET not in summary_markdown(review) and SECRET not in repr(review)


def test_a_wholly_sensitive_resource_shows_no_value() -> None:
    replaced = table(["delete", "create"], {"name": SECRET}, {"name": SECRET}, before_sensitive=True, after_sensitive=True)
    assert SECRET not in repr(reviewed(plan_of(replaced)))


def test_a_sensitive_policy_document_is_not_shown() -> None:
    secret_policy = change(POLICY, ["create"], None, {"name": "p", "policy": document(allow("dynamodb:*", f"arn:aws:s3:::{SECRET}"))}, after_sensitive={"policy": True})
    review = reviewed(plan_of(secret_policy))
    assert review.roles == () and review.unknown[0].sensitive and review.findings == ()
    assert SECRET not in summary_markdown(review)


def test_a_sensitive_ttl_attribute_is_not_shown() -> None:
    ttl = lambda name: {"name": "Orders", "ttl": [{"enabled": True, "attribute_name": name}]}  # noqa: E731
    moved = table(["update"], ttl(SECRET), ttl("b"), before_sensitive={"ttl": [{"attribute_name": True}]})
    (finding,) = reviewed(plan_of(moved)).findings
    assert SECRET not in finding.text and "`(sensitive)`" in finding.text


# --- plan.md --------------------------------------------------------------------------------------


def test_plan_md_lists_the_findings_not_shown_at_the_top(tmp_path: Path) -> None:
    review = reviewed(plan_of(policy(allow("dynamodb:*"))), tmp_path, function())
    lines = summary_markdown(review).splitlines()
    section = lines.index("## Findings")
    assert lines[section + 2] == "1 error and 0 warnings in all: an error fails the run task (`lambda-dynamodb run-task`)."
    assert lines[section + 4].startswith(f"- **ERROR** (Least privilege, wildcard action): `{POLICY}` (api-policy) allows `dynamodb:*`")


def test_plan_md_counts_the_bold_lines_among_the_findings() -> None:
    plan = plan_of(table(["delete"], {"name": "Orders"}, None), policy(allow("dynamodb:*")))
    assert "2 errors and 0 warnings in all (the bold lines above included): " in summary_markdown(reviewed(plan))


def test_plan_md_has_no_findings_section_without_findings() -> None:
    assert "## Findings" not in summary_markdown(reviewed(plan_of(policy(allow("dynamodb:GetItem")))))


def test_a_lost_table_stays_a_bold_line_at_the_top() -> None:
    lines = summary_markdown(reviewed(plan_of(table(["delete"], {"name": "Orders"}, None)))).splitlines()
    assert lines[2].startswith("**DESTROY: `aws_dynamodb_table.orders` (Orders) will be destroyed; a replaced table") and "## Findings" not in lines


# --- what the run task's package carries --------------------------------------------------------


def test_importing_the_model_loads_no_cdktf_jsii_or_boto3() -> None:
    code = (
        "import sys, lambda_dynamodb.review.model, lambda_dynamodb.review.summary\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'cdktf', 'jsii', 'constructs', 'boto3', 'botocore', 'moto'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_DIR, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_diagram_never_draws_a_sensitive_name() -> None:
    from lambda_dynamodb.review.diagram import dot_source

    planned = {"address": "aws_dynamodb_table.orders", "mode": "managed", "type": "aws_dynamodb_table", "name": "orders",
               "values": {"name": SECRET}, "sensitive_values": {"name": True}}
    source = dot_source({"planned_values": {"root_module": {"resources": [planned]}}}, "s")
    assert SECRET not in source and "DynamoDB table\\n(sensitive)" in source
