"""`make plan` (tools/plan.py): the reviewer's summary, the IAM diff and the architecture diagram.

Pure tests feed hand-made plan JSON to the summary and the DOT source (lambda_dynamodb.review). The emulator scenarios
share one moto server and one working folder (state beside cdktf.out/, as `make deploy` leaves
it): a first plan of the default app on the empty emulator; then an apply with access `read`,
and two plans against it: access `read_write`, and a renamed table.

docs/architecture.svg is the default app's first-plan diagram; after a deliberate change to
what the diagram draws, refresh it with

    UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_plan.py -k docs_diagram

(or UPDATE_SNAPSHOT=1 make test), then review the new picture.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import main
from lambda_dynamodb.iam.evaluation import Grant
from lambda_dynamodb.review import diagram
from lambda_dynamodb.review.iam_diff import policy_grants
from lambda_dynamodb.review.manifests import PlannedStack
from lambda_dynamodb.review.model import assemble
from lambda_dynamodb.review.summary import summary_markdown
from lambda_dynamodb.review.why import WhyColumn, WhyRow
from tools import emulator, plan

from conftest import PROJECT_DIR, Deployment

DOCS_DIAGRAM = PROJECT_DIR / "docs" / "architecture.svg"
TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/SampleTable"
LOG_STREAMS_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/MyLambdaFunction:*"
WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
READ_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan")


# --- hand-made plan JSON ---------------------------------------------------------------------


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: str | list[str], resources: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def resource_change(
    address: str, actions: list[str], before: dict[str, Any] | None, after: dict[str, Any] | None, **change: Any
) -> dict[str, Any]:
    kind, name = address.split(".")
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}, **change},
    }


def policy_update(before: str, after: str) -> dict[str, Any]:
    return resource_change("aws_iam_policy.p", ["update"], {"name": "P", "policy": before}, {"name": "P", "policy": after})


def drawn_plan(policy: str, table: str = "Orders") -> dict[str, Any]:
    """A first plan of function, role, policy, attachment, table and log group (ARNs still unknown)."""

    def planned(address: str, **values: Any) -> dict[str, Any]:
        kind, name = address.split(".")
        return {"address": address, "mode": "managed", "type": kind, "name": name, "values": values}

    def data(kind: str, **values: str) -> dict[str, Any]:
        return {"address": f"data.{kind}.x", "mode": "data", "type": kind, "name": "x", "values": values}

    def refers(address: str, **expressions: str) -> dict[str, Any]:
        return {"address": address, "expressions": {key: {"references": [f"{target}.arn", target]} for key, target in expressions.items()}}

    return {
        "planned_values": {"root_module": {"resources": [
            planned("aws_lambda_function.fn", function_name="Fn"),
            planned("aws_iam_role.role", name="Role"),
            planned("aws_iam_policy.policy", name="Policy", policy=policy),
            planned("aws_iam_role_policy_attachment.attach", role="Role"),
            planned("aws_dynamodb_table.table", name=table),
            planned("aws_cloudwatch_log_group.logs", name="/aws/lambda/Fn"),
        ]}},
        "prior_state": {"values": {"root_module": {"resources": [
            data("aws_partition", partition="aws"),
            data("aws_region", name="eu-west-1"),
            data("aws_caller_identity", account_id="123456789012"),
        ]}}},
        "configuration": {"root_module": {"resources": [
            refers("aws_lambda_function.fn", role="aws_iam_role.role"),
            refers("aws_iam_role_policy_attachment.attach", role="aws_iam_role.role", policy_arn="aws_iam_policy.policy"),
        ]}},
    }


ORDERS_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"
FN_LOGS_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/Fn:*"


# --- the summary, pure -----------------------------------------------------------------------


def review_of(plan: dict[str, Any], why: WhyColumn | None = None) -> str:
    return summary_markdown(assemble(plan, PlannedStack("s", why or WhyColumn())))


def test_removed_permissions_are_listed_as_removed() -> None:
    before = document(allow(["dynamodb:GetItem", "dynamodb:PutItem"], ORDERS_ARN))
    after = document(allow("dynamodb:GetItem", [ORDERS_ARN]))
    summary = review_of({"resource_changes": [policy_update(before, after)]})
    assert f"| removed | `dynamodb:PutItem` | `{ORDERS_ARN}` | P | no longer granted |" in summary
    assert "| added |" not in summary and "`dynamodb:GetItem`" not in summary


def test_a_changed_resource_moves_its_permissions() -> None:
    old, new = ORDERS_ARN, ORDERS_ARN.replace("Orders", "Invoices")
    moved = policy_update(document(allow("dynamodb:GetItem", old)), document(allow("dynamodb:GetItem", new)))
    summary = review_of({"resource_changes": [moved]})
    assert summary.index(f"| added | `dynamodb:GetItem` | `{new}` |") < summary.index(f"| removed | `dynamodb:GetItem` | `{old}` |")


def test_added_permissions_say_why_they_are_there() -> None:
    change = policy_update(document(), document(allow("dynamodb:GetItem", ORDERS_ARN)))
    why = WhyColumn.of([WhyRow("aws_iam_policy.p", "P", "dynamodb:GetItem", ORDERS_ARN, "lambda/handler.py:12 get_item")])
    summary = review_of({"resource_changes": [change]}, why)
    assert f"| added | `dynamodb:GetItem` | `{ORDERS_ARN}` | P | lambda/handler.py:12 get_item |" in summary


def test_an_unavailable_why_column_is_explained_above_the_table() -> None:
    change = policy_update(document(), document(allow("dynamodb:GetItem", ORDERS_ARN)))
    summary = review_of({"resource_changes": [change]}, WhyColumn.missing("no manifest in cdktf.out"))
    lines = summary.splitlines()
    note = lines.index("The why column is unavailable: no manifest in cdktf.out.")
    assert lines[note - 2] == "## IAM permissions" and lines[note + 2].startswith("| change |")
    assert f"| added | `dynamodb:GetItem` | `{ORDERS_ARN}` | P |  |" in lines


def test_no_changes_says_so() -> None:
    unchanged = resource_change("aws_dynamodb_table.t", ["no-op"], {"name": "T"}, {"name": "T"})
    summary = review_of({"resource_changes": [unchanged]})
    assert "**No changes.** The infrastructure matches the configuration: 0 to add, 0 to change, 0 to destroy (0 replaced)." in summary
    assert "No resource changes." in summary
    assert "No IAM permission changes." in summary


def test_changes_outside_iam_say_iam_is_unchanged() -> None:
    before, after = {"function_name": "F", "memory_size": 128}, {"function_name": "F", "memory_size": 256}
    function = resource_change("aws_lambda_function.f", ["update"], before, after)
    summary = review_of({"resource_changes": [function]})
    assert "| `aws_lambda_function.f` | aws_lambda_function | F | update | changes `memory_size` |" in summary
    assert "No IAM permission changes." in summary


def test_a_replaced_table_is_flagged_before_anything_else() -> None:
    table = resource_change("aws_dynamodb_table.t", ["delete", "create"], {"name": "Old"}, {"name": "New"}, replace_paths=[["name"]])
    lines = review_of({"resource_changes": [table]}).splitlines()
    assert lines[2].startswith("**REPLACEMENT: `aws_dynamodb_table.t` (Old → New)") and lines[2].endswith("**")
    assert "forced by `name`" in lines[2] and "new, empty table" in lines[2]
    assert lines[4] == "**1 to add, 0 to change, 1 to destroy (1 replaced).**"


def test_a_policy_known_only_after_apply_is_named() -> None:
    unknown = resource_change("aws_iam_policy.p", ["create"], None, {"name": "P"}, after_unknown={"policy": True})
    summary = review_of({"resource_changes": [unknown]})
    assert "- `aws_iam_policy.p` (P): its document is only known after apply; review it then." in summary
    assert "No IAM permission changes." not in summary


def test_statements_take_action_and_resource_as_string_or_list() -> None:
    assert policy_grants(document(allow("s3:GetObject", ["a", "b"]), allow(["s3:PutObject"], "a"))) == {
        Grant("s3:GetObject", "a"),
        Grant("s3:GetObject", "b"),
        Grant("s3:PutObject", "a"),
    }


def test_not_action_and_deny_are_shown_as_such() -> None:
    statements = [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": ORDERS_ARN}]
    summary = review_of({"resource_changes": [policy_update(document(), document(*statements))]})
    assert "| added | `NOT iam:*` | `*` | P |  |" in summary
    assert f"| added | `dynamodb:DeleteItem (Deny)` | `{ORDERS_ARN}` | P |  |" in summary


# --- the diagram, pure -----------------------------------------------------------------------


def test_dot_permission_edges_are_labeled_with_the_granted_actions() -> None:
    policy = document(
        allow(["dynamodb:PutItem", "dynamodb:GetItem"], ORDERS_ARN), allow(["logs:PutLogEvents", "logs:CreateLogStream"], FN_LOGS_ARN)
    )
    source = diagram.dot_source(drawn_plan(policy), "s")
    assert '"aws_iam_policy.policy" -> "aws_dynamodb_table.table" [label="dynamodb:GetItem\\ndynamodb:PutItem"];' in source
    assert '"aws_iam_policy.policy" -> "aws_cloudwatch_log_group.logs" [label="logs:CreateLogStream\\nlogs:PutLogEvents"];' in source


def test_dot_draws_who_runs_as_whom_and_what_is_attached() -> None:
    source = diagram.dot_source(drawn_plan(document(allow("dynamodb:GetItem", ORDERS_ARN))), "s")
    assert '"aws_lambda_function.fn" -> "aws_iam_role.role" [label="runs as"];' in source
    assert '"aws_iam_role.role" -> "aws_iam_policy.policy" [label="attached"];' in source
    assert '[label="DynamoDB table\\nOrders", shape=cylinder' in source


def test_dot_edges_go_only_to_resources_of_the_actions_service() -> None:
    # The account-wide logs mode: logs:CreateLogGroup on "*" reaches the log group, not the table.
    policy = document(allow("dynamodb:GetItem", f"{ORDERS_ARN}/index/*"), allow("logs:CreateLogGroup", "*"))
    assert permission_edges(drawn_plan(policy)) == [
        ("aws_dynamodb_table.table", ("dynamodb:GetItem",)),
        ("aws_cloudwatch_log_group.logs", ("logs:CreateLogGroup",)),
    ]


def permission_edges(plan: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    edges = diagram.diagram_edges(plan, diagram.diagram_nodes(plan))
    return [(e.target, e.label) for e in edges if e.source == "aws_iam_policy.policy"]


def test_dot_reads_brackets_in_a_resource_literally_as_iam_does() -> None:
    # A shell glob's [ab] is a character class (fnmatch would draw this edge to table "a-orders");
    # IAM has no character classes: the pattern names tables whose names start with "[ab]".
    policy = document(allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/[ab]*"))
    assert permission_edges(drawn_plan(policy, table="a-orders")) == []
    assert permission_edges(drawn_plan(policy, table="[ab]-orders")) == [("aws_dynamodb_table.table", ("dynamodb:GetItem",))]


def test_dot_matches_actions_case_insensitively_as_iam_does() -> None:
    policy = document(allow("DynamoDB:GetItem", ORDERS_ARN))
    assert permission_edges(drawn_plan(policy)) == [("aws_dynamodb_table.table", ("DynamoDB:GetItem",))]


# --- against the emulator --------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRun:
    """One `make plan` run: its exit code, what it printed, and where it wrote."""

    code: int
    output: str
    plan_dir: Path

    @property
    def review(self) -> str:
        assert self.code == 0, f"tools/plan.py failed:\n{self.output}"
        return (self.plan_dir / plan.PLAN_MD).read_text()


@dataclass(frozen=True)
class Project:
    """A working folder laid out like the project's (cdktf.out/, its state beside it) and its emulator."""

    root: Path
    env: dict[str, str]
    deployment_env: dict[str, str]

    @property
    def outdir(self) -> Path:
        return self.root / "cdktf.out"

    def synth(self, **overrides: str) -> Path:
        """`python main.py` with LAMBDA_DYNAMODB_* overrides (in this process: the provider is loaded once)."""
        environ = {"CDKTF_OUTDIR": str(self.outdir), **{main.environment_variable(k): v for k, v in overrides.items()}}
        with redirect_stdout(io.StringIO()):
            assert main.main(environ=environ) == 0, f"main.py failed with {overrides}"
        return self.outdir / "stacks" / main.STACK_NAME

    def plan(self, name: str, env: Mapping[str, str] | None = None, outdir: Path | None = None) -> PlanRun:
        return run_plan(outdir or self.outdir, self.root / name, env or self.env)


def run_plan(outdir: Path, plan_dir: Path, env: Mapping[str, str], target: str = "local") -> PlanRun:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = plan.main(["--target", target, "--outdir", str(outdir), "--plan-dir", str(plan_dir)], environ=env)
    return PlanRun(code, out.getvalue(), plan_dir)


def require_tools() -> None:
    from lambda_dynamodb.testing.terraform_cli import TerraformMissing, terraform_binary

    try:
        terraform_binary()
    except TerraformMissing as error:
        pytest.fail(str(error))
    if shutil.which("dot") is None:
        pytest.fail(f"Graphviz dot is missing: {plan.GRAPHVIZ_HINT}")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    from lambda_dynamodb.testing.terraform_cli import terraform_env

    require_tools()
    root = tmp_path_factory.mktemp("plan-project")
    state_dir = root / "emulator"
    running, _ = emulator.start(state_dir=state_dir)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_DYNAMODB_", "EMULATOR_", "TARGET"))}
        env["LAMBDA_DYNAMODB_STATE_DIR"] = str(state_dir)  # tools/plan.py reuses this emulator
        deployment_env = {**terraform_env(root / "terraform.rc", env), **running.environment("eu-west-1")}
        yield Project(root, env, deployment_env)
    finally:
        emulator.stop(state_dir=state_dir)


@dataclass(frozen=True)
class FirstPlan:
    run: PlanRun
    stack: dict[str, Any]


@pytest.fixture(scope="module")
def first_plan(project: Project) -> FirstPlan:
    """The default app's first plan, on the still empty emulator."""
    stack_dir = project.synth()
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    return FirstPlan(project.plan("plan-first"), stack)


@pytest.fixture(scope="module")
def deployed_read(project: Project, first_plan: FirstPlan) -> Deployment:
    """The app with access `read`, applied with the stack's own backend (state beside cdktf.out/)."""
    # read alone does not cover the sample function's writes: the code check is off for it.
    deployment = Deployment(project.synth(access="read", checkCode="false"), project.deployment_env)
    deployment.terraform("init", "-input=false", "-no-color")
    deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color")
    assert (project.root / "terraform.lambda-dynamodb.tfstate").exists()
    return deployment


@pytest.fixture(scope="module")
def read_write_plan(project: Project, deployed_read: Deployment) -> PlanRun:
    project.synth(access="read_write")
    return project.plan("plan-read-write")


@pytest.fixture(scope="module")
def renamed_table_plan(project: Project, deployed_read: Deployment) -> PlanRun:
    project.synth(access="read", checkCode="false", tableName="OtherTable")
    return project.plan("plan-renamed-table")


def table_row(review: str, address: str) -> str:
    (row,) = [line for line in review.splitlines() if line.startswith(f"| `{address}` |")]
    return row


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_creates_every_resource_of_the_stack(first_plan: FirstPlan) -> None:
    review = first_plan.run.review
    addresses = [f"{kind}.{name}" for kind, blocks in first_plan.stack["resource"].items() for name in blocks]
    assert len(addresses) == 6
    for address in addresses:
        assert table_row(review, address).split(" | ")[3] == "create", address


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_counts_every_resource_as_added(first_plan: FirstPlan) -> None:
    assert "**6 to add, 0 to change, 0 to destroy (0 replaced).**" in first_plan.run.review.splitlines()[:4]


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_replaces_nothing(first_plan: FirstPlan) -> None:
    assert "REPLACEMENT" not in first_plan.run.review


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_lists_every_granted_permission_as_added(first_plan: FirstPlan) -> None:
    review = first_plan.run.review
    for action in (*READ_ACTIONS, "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"):
        assert f"| added | `{action}` | `{TABLE_ARN}` | MyLambdaPolicy |" in review
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        assert f"| added | `{action}` | `{LOG_STREAMS_ARN}` | MyLambdaPolicy |" in review


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_says_why_the_role_has_each_permission(first_plan: FirstPlan) -> None:
    review = first_plan.run.review
    put_line = next(n for n, line in enumerate((PROJECT_DIR / "lambda" / "handler.py").read_text().splitlines(), 1) if "_table().put_item(" in line)
    assert f"| added | `dynamodb:PutItem` | `{TABLE_ARN}` | MyLambdaPolicy | lambda/handler.py:{put_line} put_item |" in review
    assert f"| added | `dynamodb:BatchGetItem` | `{TABLE_ARN}` | MyLambdaPolicy | granted by the access list only |" in review
    assert "| added | `xray:PutTraceSegments` | `*` | MyLambdaPolicy | Lambda sends traces to X-Ray (tracing Active) |" in review


@pytest.mark.emulator
@pytest.mark.terraform
def test_make_plan_writes_the_plan_the_review_and_the_diagram(first_plan: FirstPlan) -> None:
    plan_dir = first_plan.run.plan_dir
    assert first_plan.run.code == 0, first_plan.run.output
    from lambda_dynamodb.synthesis.output import MARKER

    assert sorted(p.name for p in plan_dir.iterdir() if p.name != MARKER) == ["architecture.dot", "architecture.svg", "plan.json", "plan.md"]
    assert (plan_dir / MARKER).is_file(), "the plan folder says the project made it"
    assert json.loads((plan_dir / "plan.json").read_text())["planned_values"]["root_module"]["resources"]
    assert (plan_dir / "architecture.svg").read_text().rstrip().endswith("</svg>")
    assert "# Plan review: lambda-dynamodb" in first_plan.run.output, "the review is printed too"


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_command_reviews_the_plan_as_make_plan_does(first_plan: FirstPlan, project: Project, tmp_path: Path) -> None:
    # The console script on make plan's plan.json, with the manifest of cdktf.out: the same review.
    command = Path(sys.executable).parent / "lambda-dynamodb"
    plan_json = first_plan.run.plan_dir / plan.PLAN_JSON
    args = [str(command), "review", str(plan_json), "--outdir", str(project.outdir), "--out", str(tmp_path / "review")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in (plan.PLAN_MD, plan.DIAGRAM_DOT, plan.DIAGRAM_SVG):
        assert (tmp_path / "review" / name).read_bytes() == (first_plan.run.plan_dir / name).read_bytes(), name


@pytest.mark.emulator
@pytest.mark.terraform
def test_docs_diagram_is_what_the_code_draws(first_plan: FirstPlan) -> None:
    drawn = (first_plan.run.plan_dir / plan.DIAGRAM_SVG).read_bytes()
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        DOCS_DIAGRAM.parent.mkdir(exist_ok=True)
        DOCS_DIAGRAM.write_bytes(drawn)
    assert DOCS_DIAGRAM.exists() and DOCS_DIAGRAM.read_bytes() == drawn, (
        "docs/architecture.svg is not what tools/plan.py draws for the default app's first plan: "
        "refresh it with UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_plan.py -k docs_diagram, and review it"
    )


@pytest.mark.emulator
@pytest.mark.terraform
def test_read_to_read_write_adds_the_write_actions_on_the_table(read_write_plan: PlanRun) -> None:
    review = read_write_plan.review
    for action in WRITE_ACTIONS:
        assert f"| added | `{action}` | `{TABLE_ARN}` | MyLambdaPolicy |" in review


@pytest.mark.emulator
@pytest.mark.terraform
def test_read_to_read_write_removes_no_permission(read_write_plan: PlanRun) -> None:
    assert "| removed |" not in read_write_plan.review


@pytest.mark.emulator
@pytest.mark.terraform
def test_read_to_read_write_replaces_nothing(read_write_plan: PlanRun) -> None:
    review = read_write_plan.review
    assert "REPLACEMENT" not in review and "(0 replaced)" in review


@pytest.mark.emulator
@pytest.mark.terraform
def test_read_to_read_write_updates_the_policy_in_place_and_nothing_else(read_write_plan: PlanRun) -> None:
    # Besides the emulator's known gap: moto does not store a function's logging_config, so
    # every plan after an apply shows that block as an in-place update (see the README).
    rows = [line for line in read_write_plan.review.splitlines() if line.startswith("| `aws_")]
    assert [(row.split(" | ")[1], row.split(" | ")[3], row.split(" | ")[4]) for row in rows] == [
        ("aws_iam_policy", "update", "changes `policy` |"),
        ("aws_lambda_function", "update", "changes `logging_config` |"),
    ]


@pytest.mark.emulator
@pytest.mark.terraform
def test_renamed_table_flags_its_replacement_at_the_top(renamed_table_plan: PlanRun) -> None:
    top = renamed_table_plan.review.splitlines()[:3]
    assert top[0] == "# Plan review: lambda-dynamodb"
    assert top[2].startswith("**REPLACEMENT: `aws_dynamodb_table.") and top[2].endswith("**"), top
    assert "(SampleTable → OtherTable)" in top[2] and "forced by `name`" in top[2]
    assert "a replaced table is a new, empty table: every item in it is lost" in top[2]


@pytest.mark.emulator
@pytest.mark.terraform
def test_renamed_table_moves_the_grants_to_the_new_table(renamed_table_plan: PlanRun) -> None:
    review = renamed_table_plan.review
    other = TABLE_ARN.replace("SampleTable", "OtherTable")
    assert f"| added | `dynamodb:GetItem` | `{other}` | MyLambdaPolicy |" in review
    assert f"| removed | `dynamodb:GetItem` | `{TABLE_ARN}` | MyLambdaPolicy |" in review


# --- failures --------------------------------------------------------------------------------


def broken_stack(outdir: Path, outputs: dict[str, Any], *names: str) -> None:
    """Synthesized stacks (``names``, default one) of nothing but ``outputs``: each plans in a second, with no AWS call."""
    listed = {}
    for name in names or ("outputs-only",):
        stack_dir = outdir / "stacks" / name
        stack_dir.mkdir(parents=True)
        stack = {
            "terraform": {"backend": {"local": {"path": f"../../../terraform.{name}.tfstate"}}},
            "provider": {"aws": [{"region": "eu-west-1"}]},
            "output": outputs,
        }
        (stack_dir / "cdk.tf.json").write_text(json.dumps(stack))
        listed[name] = {"name": name, "workingDirectory": f"stacks/{name}", "synthesizedStackPath": f"stacks/{name}/cdk.tf.json"}
    (outdir / "manifest.json").write_text(json.dumps({"version": "0.21.0", "stacks": listed}))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".staging-" in p.name or ".retired" in p.name)


@pytest.mark.emulator
@pytest.mark.terraform
def test_failed_plan_shows_terraforms_error_and_keeps_the_previous_plan(project: Project, tmp_path: Path) -> None:
    broken_stack(tmp_path / "cdktf.out", {"broken": {"value": "${var.missing}"}})
    from lambda_dynamodb.synthesis.output import MARKER, MARKER_TEXT

    previous = tmp_path / "plan"
    previous.mkdir()
    (previous / MARKER).write_text(MARKER_TEXT)  # an earlier make plan's folder
    (previous / "plan.md").write_text("the previous review\n")
    run = run_plan(tmp_path / "cdktf.out", previous, project.env)
    assert run.code == 1
    assert "error: terraform plan failed" in run.output and "Reference to undeclared input variable" in run.output
    assert sorted(p.name for p in previous.iterdir()) == sorted([MARKER, "plan.md"])
    assert (previous / "plan.md").read_text() == "the previous review\n"
    assert leftovers(tmp_path) == []


@pytest.mark.emulator
@pytest.mark.terraform
def test_failure_after_writing_the_review_leaves_no_plan_folder(project: Project, tmp_path: Path) -> None:
    # plan.json and plan.md are staged before Graphviz runs: a failing `dot` must not leave them behind.
    broken_stack(tmp_path / "cdktf.out", {"fine": {"value": "fine"}})
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "dot").write_text("#!/bin/sh\necho 'dot: broken on purpose' >&2\nexit 3\n")
    (fake_bin / "dot").chmod(0o755)
    env = {**project.env, "PATH": f"{fake_bin}{os.pathsep}{project.env['PATH']}"}
    run = run_plan(tmp_path / "cdktf.out", tmp_path / "plan", env)
    assert run.code == 1
    assert "error: Graphviz dot failed (exit code 3):\ndot: broken on purpose" in run.output
    assert not (tmp_path / "plan").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.emulator
@pytest.mark.terraform
def test_missing_graphviz_names_the_install_command(project: Project, tmp_path: Path) -> None:
    run = run_plan(tmp_path / "cdktf.out", tmp_path / "plan", {**project.env, "PATH": str(tmp_path)})
    assert run.code == 1
    assert "error: Graphviz `dot` was not found on PATH" in run.output and "apt-get install graphviz" in run.output
    assert not (tmp_path / "plan").exists()


@pytest.mark.emulator
@pytest.mark.terraform
def test_missing_synthesis_says_to_synthesize_first(project: Project, tmp_path: Path) -> None:
    run = run_plan(tmp_path / "cdktf.out", tmp_path / "plan", project.env)
    assert run.code == 1
    assert f"no synthesized stack in {tmp_path / 'cdktf.out'}" in run.output and "run `make synth` first" in run.output


@pytest.mark.emulator
@pytest.mark.terraform
def test_several_stacks_need_the_one_to_plan_named(project: Project, tmp_path: Path) -> None:
    broken_stack(tmp_path / "cdktf.out", {"fine": {"value": "fine"}}, "blue", "green")
    run = run_plan(tmp_path / "cdktf.out", tmp_path / "plan", project.env)
    assert run.code == 2
    assert f"error: {tmp_path / 'cdktf.out'} holds the stacks blue, green: name the one to plan with --stack NAME (make plan PLAN_STACK=NAME)" in run.output
    assert not (tmp_path / "plan").exists()


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_stack_planned_names_the_review(project: Project, tmp_path: Path) -> None:
    # No function of the module in it: no permissions manifest, so no why column, and the review says so.
    broken_stack(tmp_path / "cdktf.out", {"fine": {"value": "fine"}}, "blue", "green")
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = plan.main(["--outdir", str(tmp_path / "cdktf.out"), "--stack", "green", "--plan-dir", str(tmp_path / "plan")], environ=project.env)
    assert code == 0, out.getvalue()
    review = (tmp_path / "plan" / plan.PLAN_MD).read_text()
    assert review.startswith("# Plan review: green\n")


@pytest.mark.emulator
@pytest.mark.terraform
def test_aws_target_without_credentials_is_refused(project: Project, tmp_path: Path) -> None:
    broken_stack(tmp_path / "cdktf.out", {"fine": {"value": "fine"}})
    env = {
        **project.env,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    run = run_plan(tmp_path / "cdktf.out", tmp_path / "plan", env, target="aws")
    assert run.code == 1
    assert "error: TARGET=aws needs AWS credentials and none were found" in run.output
    assert not (tmp_path / "plan").exists()
