"""`lambda-dynamodb review PLAN_JSON`: the plan review of any app's plan, with the why column from its manifest.

The plan is hand-written in the shape of `terraform show -json` (format 1.2, as Terraform 1.11
writes it: planned values, resource changes, the data sources read in the prior state, the
configuration's references) for a stack ``orders`` that is not the reference app; its
permissions manifest is written with the manifest's own model. Both are made in tmp for each
test. tests/test_plan.py runs the command on a real plan of the reference app.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb.cli.main import main
from lambda_dynamodb.iam.permissions import Verdict
from lambda_dynamodb.synthesis.manifest_model import (
    ACCOUNT_PLACEHOLDER,
    FILE_NAME,
    FunctionEntry,
    Generator,
    Manifest,
    PermissionEntry,
    RoleEntry,
)
from lambda_dynamodb.synthesis.output import MARKER

ACCOUNT = "210987654321"
ORDERS_ARN = f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/Orders"
LOGS_ARN = f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/aws/lambda/orders-api:*"
POLICY = "aws_iam_policy.api_role_policy_5A3C1D2E"
ROLE = "aws_iam_role.api_role_9F8E7D6C"
FUNCTION = "aws_lambda_function.api_function_1B2C3D4E"
TABLE = "aws_dynamodb_table.orders_table_77AA88BB"
GET_WHY = "functions/api/app.py:14 get_item"
LOGS_WHY = "Lambda writes the function's logs to /aws/lambda/orders-api"


# --- a plan and a manifest, in the shapes Terraform and synthesis write -------------------------


def policy_document() -> str:
    return json.dumps(
        {
            "Statement": [
                {"Action": "dynamodb:GetItem", "Effect": "Allow", "Resource": ORDERS_ARN},
                {"Action": ["logs:PutLogEvents", "logs:CreateLogStream"], "Effect": "Allow", "Resource": LOGS_ARN},
            ],
            "Version": "2012-10-17",
        },
        separators=(",", ":"),
    )


def created(address: str, values: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
    kind, name = address.split(".")
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": unknown, "before_sensitive": False, "after_sensitive": {}},
    }


def planned(address: str, values: dict[str, Any]) -> dict[str, Any]:
    kind, name = address.split(".")
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }


def data(kind: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "address": f"data.{kind}.arn_context_{kind[4:]}",
        "mode": "data",
        "type": kind,
        "name": f"arn_context_{kind[4:]}",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }


def referring(address: str, **references: str) -> dict[str, Any]:
    kind, name = address.split(".")
    expressions = {key: {"references": [f"{target}.arn", target]} for key, target in references.items()}
    return {"address": address, "mode": "managed", "type": kind, "name": name, "provider_config_key": "aws", "expressions": expressions, "schema_version": 0}


def first_plan() -> dict[str, Any]:
    """A first plan of the ``orders`` stack: function, role, policy and attachment, table."""
    attachment = "aws_iam_role_policy_attachment.api_role_attachment_0C0D0E0F"
    values = {
        FUNCTION: {"function_name": "orders-api", "runtime": "python3.12"},
        ROLE: {"name": "orders-api-role", "path": "/"},
        POLICY: {"name": "orders-api-policy", "path": "/", "policy": policy_document()},
        attachment: {"role": "orders-api-role"},
        TABLE: {"name": "Orders", "billing_mode": "PAY_PER_REQUEST"},
    }
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": [planned(address, v) for address, v in values.items()]}},
        "resource_changes": [created(address, v, {"arn": True, "id": True}) for address, v in values.items()],
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": "1.11.4",
            "values": {"root_module": {"resources": [
                data("aws_caller_identity", {"account_id": ACCOUNT, "id": ACCOUNT}),
                data("aws_partition", {"partition": "aws", "id": "aws"}),
                data("aws_region", {"name": "us-east-2", "id": "us-east-2"}),
            ]}},
        },
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}}, "root_module": {"resources": [
            referring(FUNCTION, role=ROLE),
            referring(attachment, role=ROLE, policy_arn=POLICY),
        ]}},
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def manifest(
    stack: str, *, policy: str = "orders-api-policy", role: str = "orders-api-role", policy_address: str = POLICY, role_address: str = ROLE
) -> Manifest:
    """The manifest of a stack with one function, its role ``role`` (at ``role_address``) and its policy."""

    def row(action: str, resource: str, why: str) -> PermissionEntry:
        return PermissionEntry(action, resource.replace(ACCOUNT, ACCOUNT_PLACEHOLDER), (why,), Verdict.USED)

    function = FunctionEntry(
        name="orders-api",
        path=f"{stack}/api/function",
        address=FUNCTION,
        role=RoleEntry(role, role_address, policy, policy_address, existing=False),
        permissions=(
            row("dynamodb:GetItem", ORDERS_ARN, GET_WHY),
            row("logs:CreateLogStream", LOGS_ARN, LOGS_WHY),
            row("logs:PutLogEvents", LOGS_ARN, LOGS_WHY),
        ),
        findings=(),
        tables=(),
        triggers=(),
        url=None,
        calls=(),
        unresolved=(),
        package=None,
    )
    return Manifest(stack, "us-east-2", "aws", Generator("cdktf-lambda-dynamodb", "0.1.0"), (function,))


def synthesized(root: Path, *manifests: Manifest) -> Path:
    """A cdktf.out with CDKTF's manifest.json listing the stacks and each stack's permissions manifest."""
    outdir = root / "cdktf.out"
    stacks = {}
    for entry in manifests:
        folder = outdir / "stacks" / entry.stack
        folder.mkdir(parents=True)
        (folder / "cdk.tf.json").write_text("{}")
        (folder / FILE_NAME).write_bytes(entry.to_json())
        stacks[entry.stack] = {"name": entry.stack, "workingDirectory": f"stacks/{entry.stack}", "synthesizedStackPath": f"stacks/{entry.stack}/cdk.tf.json"}
    outdir.mkdir(exist_ok=True)
    (outdir / "manifest.json").write_text(json.dumps({"version": "0.21.0", "stacks": stacks}))
    return outdir


def plan_file(root: Path, plan: Any = None, text: str | None = None) -> Path:
    path = root / "plan.json"
    path.write_text(text if text is not None else json.dumps(first_plan() if plan is None else plan))
    return path


def review(*args: str | Path) -> int:
    return main(["review", *(str(a) for a in args)])


def permission_rows(out: Path) -> list[str]:
    return [line for line in (out / "plan.md").read_text().splitlines() if line.startswith(("| added |", "| removed |"))]


# --- the review --------------------------------------------------------------------------------


def test_writes_the_review_the_dot_source_and_the_svg(tmp_path: Path) -> None:
    out = tmp_path / "review"
    assert review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, manifest("orders")), "--out", out) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "architecture.dot", "architecture.svg", "plan.md"])
    assert (out / "architecture.svg").read_text().rstrip().endswith("</svg>")
    assert f'"{POLICY}" -> "{TABLE}" [label="dynamodb:GetItem"];' in (out / "architecture.dot").read_text()


def test_review_keeps_counts_and_every_resource_change(tmp_path: Path) -> None:
    out = tmp_path / "review"
    review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, manifest("orders")), "--out", out)
    text = (out / "plan.md").read_text()
    assert "**5 to add, 0 to change, 0 to destroy (0 replaced).**" in text
    assert f"| `{TABLE}` | aws_dynamodb_table | Orders | create |  |" in text


def test_why_column_comes_from_the_planned_stacks_manifest(tmp_path: Path) -> None:
    out = tmp_path / "review"
    review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, manifest("orders")), "--out", out)
    assert permission_rows(out) == [
        f"| added | `dynamodb:GetItem` | `{ORDERS_ARN}` | orders-api-policy | {GET_WHY} |",
        f"| added | `logs:CreateLogStream` | `{LOGS_ARN}` | orders-api-policy | {LOGS_WHY} |",
        f"| added | `logs:PutLogEvents` | `{LOGS_ARN}` | orders-api-policy | {LOGS_WHY} |",
    ]


def test_the_stack_is_the_one_whose_manifest_names_the_plans_policy(tmp_path: Path) -> None:
    # Another stack of the same app: its role at the same address, but named otherwise, and its policy elsewhere.
    other = manifest("billing", policy="billing-policy", role="billing-role", policy_address="aws_iam_policy.b")
    out = tmp_path / "review"
    review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, other, manifest("orders")), "--out", out)
    assert (out / "plan.md").read_text().startswith("# Plan review: orders\n")
    assert permission_rows(out)[0].endswith(f"| {GET_WHY} |")


def test_stack_option_names_the_stack(tmp_path: Path) -> None:
    out = tmp_path / "review"
    outdir = synthesized(tmp_path, manifest("orders"), manifest("orders-copy", policy="copy-policy", role="copy-role"))
    review(plan_file(tmp_path), "--outdir", outdir, "--stack", "orders-copy", "--out", out)
    assert (out / "plan.md").read_text().startswith("# Plan review: orders-copy\n")
    assert 'label="orders-copy"' in (out / "architecture.dot").read_text()


def test_a_policy_the_manifest_does_not_name_gets_no_reason(tmp_path: Path) -> None:
    # Same (action, resource) granted by a policy of the stack that is not the function's: its reason is not lent.
    plan = first_plan()
    extra = created("aws_iam_policy.hand_written", {"name": "hand-written", "policy": policy_document()}, {})
    plan["resource_changes"].append(extra)
    out = tmp_path / "review"
    review(plan_file(tmp_path, plan), "--outdir", synthesized(tmp_path, manifest("orders")), "--out", out)
    assert f"| added | `dynamodb:GetItem` | `{ORDERS_ARN}` | hand-written |  |" in permission_rows(out)
    assert f"| added | `dynamodb:GetItem` | `{ORDERS_ARN}` | orders-api-policy | {GET_WHY} |" in permission_rows(out)


def test_without_a_manifest_the_review_says_why_the_why_column_is_unavailable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "review"
    assert review(plan_file(tmp_path), "--outdir", tmp_path / "cdktf.out", "--out", out) == 0
    text = (out / "plan.md").read_text()
    assert text.startswith("# Plan review: plan.json\n"), "no stack known: the plan file names the review"
    assert f"The why column is unavailable: no permissions manifest applies: {tmp_path / 'cdktf.out'}: no such folder: run cdktf synth first." in text
    assert f"| added | `dynamodb:GetItem` | `{ORDERS_ARN}` | orders-api-policy |  |" in permission_rows(out)
    assert "note: the why column is unavailable" in capsys.readouterr().out


def test_a_manifest_of_another_stack_only_is_not_used(tmp_path: Path) -> None:
    other = manifest("billing", policy="billing-policy", role="billing-role", policy_address="aws_iam_policy.b", role_address="aws_iam_role.b")
    out = tmp_path / "review"
    review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, other), "--out", out)
    text = (out / "plan.md").read_text()
    assert "The why column is unavailable: none of the permissions manifests in" in text and "(stacks billing)" in text
    assert "pass --stack NAME" in text
    assert f"| added | `dynamodb:GetItem` | `{ORDERS_ARN}` | orders-api-policy |  |" in permission_rows(out)


# --- the output folder: all at once or not at all, never a folder of the user's ---------------------


def fake_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").write_text("#!/bin/sh\necho 'dot: broken on purpose' >&2\nexit 3\n")
    (bin_dir / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".staging-" in p.name or ".retired-" in p.name)


def test_a_failure_while_writing_leaves_no_half_written_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # plan.md and the DOT source are written before dot runs: a failing dot must not leave them behind.
    fake_dot(tmp_path, monkeypatch)
    out = tmp_path / "review"
    assert review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, manifest("orders")), "--out", out) == 2
    assert "lambda-dynamodb review: Graphviz dot failed (exit code 3):\ndot: broken on purpose" in capsys.readouterr().err
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_failure_keeps_the_previous_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "review"
    outdir = synthesized(tmp_path, manifest("orders"))
    assert review(plan_file(tmp_path), "--outdir", outdir, "--out", out) == 0
    before = (out / "plan.md").read_text()
    fake_dot(tmp_path, monkeypatch)
    plan = first_plan()
    plan["resource_changes"] = plan["resource_changes"][:1]
    assert review(plan_file(tmp_path, plan), "--outdir", outdir, "--out", out) == 2
    assert (out / "plan.md").read_text() == before and leftovers(tmp_path) == []


def test_a_review_folder_it_made_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "review"
    outdir = synthesized(tmp_path, manifest("orders"))
    review(plan_file(tmp_path), "--outdir", outdir, "--out", out)
    (out / "stale.txt").write_text("from an earlier review")
    assert review(plan_file(tmp_path), "--outdir", outdir, "--out", out) == 0
    assert not (out / "stale.txt").exists() and (out / "plan.md").is_file()


def test_an_existing_folder_of_the_users_is_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    assert review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, manifest("orders")), "--out", out) == 2
    error = capsys.readouterr().err
    assert f"lambda-dynamodb review: --out: output folder '{out}' is invalid: exists and was not made by the project" in error
    assert [p.name for p in out.iterdir()] == ["thesis.tex"] and leftovers(tmp_path) == []


def test_missing_graphviz_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    out = tmp_path / "review"
    assert review(plan_file(tmp_path), "--outdir", synthesized(tmp_path, manifest("orders")), "--out", out) == 2
    error = capsys.readouterr().err
    assert "lambda-dynamodb review: Graphviz `dot` was not found on PATH (it draws architecture.svg): install Graphviz" in error
    assert "apt-get install graphviz" in error and not out.exists()


# --- bad input: exit 2, naming the file and the rule; nothing written -------------------------------


def refused(tmp_path: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = tmp_path / "review"
    assert review(path, "--outdir", tmp_path / "cdktf.out", "--out", out) == 2
    assert not out.exists()
    error = capsys.readouterr().err
    assert error.startswith(f"lambda-dynamodb review: plan file '{path}' "), error
    return error


def test_a_missing_plan_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = refused(tmp_path, tmp_path / "absent.json", capsys)
    assert "does not exist: write one with `terraform plan -out=tfplan && terraform show -json tfplan > plan.json`" in error


def test_a_folder_as_plan_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "folder.json").mkdir()
    assert "is a folder, not a file" in refused(tmp_path, tmp_path / "folder.json", capsys)


def test_a_plan_file_that_is_not_json_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What `terraform plan -out` saves is a zip, not JSON.
    error = refused(tmp_path, plan_file(tmp_path, text="PK\x03\x04 binary plan"), capsys)
    assert "is not JSON (Expecting value at line 1 column 1)" in error and "terraform show -json" in error


def test_json_that_is_not_an_object_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = refused(tmp_path, plan_file(tmp_path, plan=[first_plan()]), capsys)
    assert "is not a Terraform plan: its JSON is a list, not an object" in error


def test_json_without_format_version_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = first_plan()
    del plan["format_version"]
    assert "is not a Terraform plan: it has no `format_version`" in refused(tmp_path, plan_file(tmp_path, plan), capsys)


def test_an_unknown_format_version_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = {**first_plan(), "format_version": "2.0"}
    assert "has `format_version` '2.0': only version 1.x of Terraform's plan JSON is understood" in refused(tmp_path, plan_file(tmp_path, plan), capsys)


def test_a_states_json_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `terraform show -json` without a plan file shows the state: format_version and values, no changes.
    state = {"format_version": "1.0", "terraform_version": "1.11.4", "values": {"root_module": {}}}
    error = refused(tmp_path, plan_file(tmp_path, state), capsys)
    assert "is not a Terraform plan: it has neither `resource_changes` nor `planned_values`" in error
    assert "it is a state's JSON" in error


def test_resource_changes_that_are_not_changes_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = {**first_plan(), "resource_changes": [{"address": "aws_s3_bucket.b"}]}
    error = refused(tmp_path, plan_file(tmp_path, plan), capsys)
    assert "`resource_changes` must be a list of objects with `address`, `type` and `change.actions`" in error


def test_a_plan_of_no_resources_is_reviewed(tmp_path: Path) -> None:
    # Terraform leaves `resource_changes` out when the configuration has no resources.
    plan = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {"root_module": {}}, "applyable": False, "complete": True, "errored": False}
    out = tmp_path / "review"
    assert review(plan_file(tmp_path, plan), "--outdir", tmp_path / "cdktf.out", "--out", out) == 0
    assert "No resource changes." in (out / "plan.md").read_text()


def test_a_plan_inside_the_review_folder_is_kept(tmp_path: Path) -> None:
    # make plan writes plan/plan.json; reviewing it into plan/ again must not lose it.
    out = tmp_path / "plan"
    outdir = synthesized(tmp_path, manifest("orders"))
    review(plan_file(tmp_path), "--outdir", outdir, "--out", out)
    (out / "plan.json").write_text(json.dumps(first_plan()))
    assert review(out / "plan.json", "--outdir", outdir, "--out", out) == 0
    assert json.loads((out / "plan.json").read_text()) == first_plan() and (out / "plan.md").is_file()
