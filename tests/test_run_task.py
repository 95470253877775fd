"""The run task end to end: `lambda-dynamodb run-task serve` against the HCP Terraform double.

The run task runs as the real command (a subprocess; see hcp_terraform_double.run_task_server); the
double (the package tests/hcp_terraform_double/, written from HashiCorp's documentation, not from the run
task's code) signs and sends the request, serves the plan JSON (204 first, then 307 to a blob URL on
127.0.0.2) and the configuration version (tar.gz of the synthesized stack folder), and records and
checks every callback.

Protocol tests use a hand-written empty plan (the `terraform show -json` shape of a configuration
with nothing in it): they test what is fetched and sent, not the review. The review tests use real
plans, each made once by Terraform against the emulator (moto):

1. ``first``: the example service (examples/orders-service) on an empty emulator;
   then that plan is applied, and four variants of the app (synthesized here from the example's
   ``build_app`` with one change each) are planned against the deployment:
2. ``replaced``: the Archive table's sort key renamed (a CDKTF escape hatch): Terraform replaces it;
3. ``widened``: orders-sync's role given ``dynamodb:*`` on Orders (``Function.add_statements``);
4. ``narrowed``: orders-sync's policy document overridden after the synthesis check (an escape
   hatch: its GetItem on Orders becomes Query) while its code still calls get_item;
5. ``many_grants``: orders-sync given 280 hand-added statements: a policy diff of over 40 KB.

Two plans are derived rather than made: ``replaced`` with the Archive table's name marked sensitive
(``with_sensitive_table_name``: nothing in the example's real plans is marked sensitive), and
``first`` with ten more policies (``with_more_policies``: more roles than a callback has outcomes
for, without synthesizing ten more functions).
The plans take ~100 s (the first plan, an apply, four plans); everything else a few seconds.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import PROJECT_DIR, deployed, example_module
from hcp_terraform_double import BODY_MAX, Callback, HcpTerraformDouble, Run, run_task_server

KEY = "run-task-test-key"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
ORDERS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"
SYNC_HANDLER = PROJECT_DIR / "examples" / "orders-service" / "functions" / "sync" / "handler.py"
SYNC_POLICY_OUTCOME = "iam-orders-sync-policy"
#: How long a review may take (plan fetched, configuration read, reviewed, two PATCHes).
REVIEW_SECONDS = 60
#: `terraform show -json` of a plan of a configuration with nothing in it.
EMPTY_PLAN: dict[str, Any] = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "planned_values": {"root_module": {}},
    "resource_changes": [],
    "configuration": {"root_module": {}},
    "timestamp": "2026-12-01T12:00:00Z",
    "applyable": False,
    "complete": True,
    "errored": False,
}
MANY_GRANTS = 280


def sync_line(call: str) -> int:
    return next(n for n, line in enumerate(SYNC_HANDLER.read_text().splitlines(), 1) if call in line)


# --- the double and the run task (module-wide) -------------------------------------------------


@pytest.fixture(scope="module")
def double() -> Iterator[HcpTerraformDouble]:
    with HcpTerraformDouble() as tfc:
        yield tfc


@pytest.fixture(scope="module")
def serve_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the module's run task writes its stderr (one line per request)."""
    return tmp_path_factory.mktemp("run-task") / "serve.log"


@pytest.fixture(scope="module")
def task_url(double: HcpTerraformDouble, serve_log: Path) -> Iterator[str]:
    """The run task with an HMAC key, a short plan wait and a quick poll (the double's 204s)."""
    with run_task_server(double.address, hmac_key=KEY, plan_wait_seconds=20, poll_interval_seconds=0.2, log=serve_log) as url:
        yield url


@dataclass(frozen=True)
class Reviewed:
    run: Run
    final: Callback
    callbacks: list[Callback]


def review(double: HcpTerraformDouble, task_url: str, plan: dict[str, Any], stack_dir: Path | None, **run: Any) -> Reviewed:
    """Send one run's task, signed, and wait for its final callback."""
    sent = double.add_run(plan, stack_dir, **run)
    status = double.send_task(task_url, sent, hmac_key=KEY)
    assert status == 200, double.last_answer
    final = double.wait_for_final(sent.task_result_id, REVIEW_SECONDS)
    return Reviewed(sent, final, double.callbacks(sent.task_result_id))


# --- the protocol (an empty plan; no Terraform) ------------------------------------------------


def test_the_verification_request_is_answered_200(double: HcpTerraformDouble, task_url: str) -> None:
    assert double.send_verification(task_url, KEY) == 200


def test_an_empty_verification_request_is_answered_200(double: HcpTerraformDouble, task_url: str) -> None:
    assert double.send_verification(task_url, KEY, empty_body=True) == 200


def test_the_verification_request_fetches_and_patches_nothing(double: HcpTerraformDouble, task_url: str) -> None:
    before = len(double.requests)
    double.send_verification(task_url, KEY)
    time.sleep(1)
    assert double.requests[before:] == []


def test_a_wrong_signature_is_refused_with_401_and_nothing_is_fetched(double: HcpTerraformDouble, task_url: str) -> None:
    run = double.add_run(EMPTY_PLAN)
    assert double.send_task(task_url, run, signature="0" * 128) == 401
    time.sleep(1)  # anything it would have started has had its time
    assert double.requests_for(run) == []


def test_a_missing_signature_is_refused_with_401_when_a_key_is_set(double: HcpTerraformDouble, task_url: str) -> None:
    run = double.add_run(EMPTY_PLAN)
    assert double.send_task(task_url, run, signature="") == 401
    time.sleep(1)
    assert double.requests_for(run) == []


FOREIGN_URLS: dict[str, Callable[[str, Run], str]] = {
    "task_result_callback_url": lambda address, run: f"{address}/api/v2/task-results/{run.task_result_id}/callback",
    "plan_json_api_url": lambda address, run: f"{address}/api/v2/plans/{run.plan_id}/json-output",
    "configuration_version_download_url": lambda address, run: f"{address}/api/v2/configuration-versions/{run.configuration_version_id}/download",
}


@pytest.mark.parametrize("field", FOREIGN_URLS)
def test_a_url_on_another_host_is_refused_and_nothing_is_sent_anywhere(double: HcpTerraformDouble, task_url: str, field: str) -> None:
    # The token and the results go only to the configured address (127.0.0.3 is another host).
    run = double.add_run(EMPTY_PLAN)
    with HcpTerraformDouble(api_host="127.0.0.3", blob_host="127.0.0.4") as elsewhere:
        status = double.send_task(task_url, run, hmac_key=KEY, overrides={field: FOREIGN_URLS[field](elsewhere.address, run)})
        time.sleep(1)
        assert (status, elsewhere.requests, double.requests_for(run)) == (400, [], [])
    assert field in (double.last_answer or (0, ""))[1]


def test_the_plan_is_fetched_again_after_each_204(double: HcpTerraformDouble, task_url: str) -> None:
    reviewed = review(double, task_url, EMPTY_PLAN, None, not_ready=2)
    plan_gets = [r.answered for r in double.requests_for(reviewed.run) if "/json-output" in r.path]
    assert (plan_gets, reviewed.final.status) == ([204, 204, 307], "passed")


def test_a_redirect_to_plain_http_on_another_host_fails_the_task_unfetched(double: HcpTerraformDouble, task_url: str) -> None:
    # 192.0.2.1 (TEST-NET-1): not loopback, so only https would do; nothing may be fetched there.
    final = review(double, task_url, EMPTY_PLAN, None, plan_location="http://192.0.2.1/v1/object/plan").final
    assert final.status == "failed" and "192.0.2.1" in final.message and "https" in final.message, final.message


def test_the_same_task_result_id_is_reviewed_once(double: HcpTerraformDouble, task_url: str) -> None:
    run = double.add_run(EMPTY_PLAN, not_ready=1)
    assert [double.send_task(task_url, run, hmac_key=KEY) for _ in range(2)] == [200, 200]
    double.wait_for_final(run.task_result_id, REVIEW_SECONDS)
    time.sleep(2)  # a second review would have patched by now (the plan is served at once)
    assert [c.status for c in double.callbacks(run.task_result_id)] == ["running", "passed"]


def test_a_plan_never_ready_fails_the_task_saying_so(double: HcpTerraformDouble) -> None:
    with run_task_server(double.address, hmac_key=KEY, plan_wait_seconds=1, poll_interval_seconds=0.2) as url:
        run = double.add_run(EMPTY_PLAN, not_ready=10_000)
        assert double.send_task(url, run, hmac_key=KEY) == 200
        final = double.wait_for_final(run.task_result_id, REVIEW_SECONDS)
    assert final.status == "failed" and "not ready" in final.message, final.message


def test_without_a_key_an_unsigned_request_is_accepted_and_reviewed(double: HcpTerraformDouble) -> None:
    with run_task_server(double.address) as url:
        run = double.add_run(EMPTY_PLAN)
        assert double.send_task(url, run) == 200  # X-TFC-Task-Signature is empty, as HCP Terraform sends it
        assert double.wait_for_final(run.task_result_id, REVIEW_SECONDS).status == "passed"


def test_an_empty_plan_is_reviewed_running_then_passed_within_the_schema(double: HcpTerraformDouble, task_url: str) -> None:
    callbacks = review(double, task_url, EMPTY_PLAN, None).callbacks
    assert [(c.status, c.violations) for c in callbacks] == [("running", ()), ("passed", ())]


def test_two_runs_of_one_plan_get_the_same_result(double: HcpTerraformDouble, task_url: str) -> None:
    # What test_run_task_lambda.py relies on: results compare equal once the run's ids are placeholders.
    first, second = (review(double, task_url, EMPTY_PLAN, None).final for _ in range(2))
    assert first.body != second.body and double.normalized(first) == double.normalized(second)


def test_the_log_names_the_task_result_but_never_its_token(double: HcpTerraformDouble, task_url: str, serve_log: Path) -> None:
    run = review(double, task_url, EMPTY_PLAN, None).run
    deadline = time.monotonic() + 10  # the run's log line may follow its final PATCH
    while run.task_result_id not in (log := serve_log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.task_result_id in log and run.access_token not in log, log[-2000:]


# --- real plans against the emulator ------------------------------------------------------------


@dataclass(frozen=True)
class PlanCase:
    plan: dict[str, Any]
    stack_dir: Path  # the stack folder synthesized for it: the run's configuration version


def _replaced_table(stack: Any) -> None:
    # hash_key and range_key force a new table (the AWS provider's ForceNew): Archive is replaced.
    table = stack.node.find_child("archive").node.find_child("table")
    table.add_override("range_key", "archived_at")
    table.add_override("attribute.1.name", "archived_at")


def _widened_role(stack: Any) -> None:
    from lambda_dynamodb import Statement

    orders = stack.node.find_child("orders")
    stack.node.find_child("sync").add_statements(Statement(("dynamodb:*",), (orders.arn_model,)))


def _narrowed_policy(stack: Any) -> None:
    # The override applies when the JSON is written, after the synthesis check has passed the
    # construct's own statements: the planned policy lacks GetItem, the code still calls get_item.
    document = stack.node.find_child("sync").node.find_child("role").node.find_child("permissions")
    document.add_override("statement.0.actions.0", "dynamodb:Query")


def _many_grants(stack: Any) -> None:
    from lambda_dynamodb import Statement
    from lambda_dynamodb.iam.policy import Arn

    history = [Arn("dynamodb", f"table/orders-history-{n:03d}") for n in range(MANY_GRANTS)]
    stack.node.find_child("sync").add_statements(*[Statement(("dynamodb:GetItem", "dynamodb:Query"), (arn,)) for arn in history])


VARIANTS: dict[str, Callable[[Any], None]] = {
    "replaced": _replaced_table,
    "widened": _widened_role,
    "narrowed": _narrowed_policy,
    "many_grants": _many_grants,
}


def synthesize_variant(name: str, change: Callable[[Any], None], out: Path) -> Path:
    """The example app with ``change`` applied to its stack, synthesized (from the project folder, as
    conftest's example_stack_dir is, so the manifest names files as the first plan's does)."""
    module = example_module()
    (out / name).mkdir(parents=True)  # cdktf makes the output folder, not its parents
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(PROJECT_DIR)
        app = module.build_app(out / name / "cdktf.out")
        change(app.node.find_child(module.STACK_NAME))
        app.synth()
    return out / name / "cdktf.out" / "stacks" / module.STACK_NAME


@pytest.fixture(scope="module")
def plans(example_stack_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, PlanCase]:
    """The five real plans, made once: the first on an empty emulator, then (after applying it) each
    variant against that deployment, so that each variant's plan shows its own change only."""
    work = tmp_path_factory.mktemp("run-task-plans")
    variants = {name: synthesize_variant(name, change, work / "variants") for name, change in VARIANTS.items()}
    cases: dict[str, PlanCase] = {}
    with deployed(example_stack_dir, work / "deployment", apply=False) as deployment:
        deployment.terraform("plan", "-input=false", "-no-color", "-out=first.plan")
        cases["first"] = PlanCase(json.loads(deployment.terraform("show", "-json", "first.plan").stdout), example_stack_dir)
        deployment.terraform("apply", "-input=false", "-no-color", "first.plan")
        for name, stack_dir in variants.items():
            cases[name] = PlanCase(deployment.plan_next(stack_dir), stack_dir)
    return cases


@pytest.fixture(scope="module")
def reviewed(double: HcpTerraformDouble, task_url: str, plans: dict[str, PlanCase]) -> Callable[[str], Reviewed]:
    """``reviewed(case)``: the run task's review of that plan, sent once (204 once first)."""
    cache: dict[str, Reviewed] = {}

    def get(name: str) -> Reviewed:
        if name not in cache:
            cache[name] = review(double, task_url, plans[name].plan, plans[name].stack_dir, not_ready=1)
        return cache[name]

    return get


def _changes(plan: dict[str, Any], actions: list[str]) -> list[dict[str, Any]]:
    return [c for c in plan["resource_changes"] if c["change"]["actions"] == actions]


def _policy_after(plan: dict[str, Any], name: str) -> str:
    (change,) = [c for c in plan["resource_changes"] if c["type"] == "aws_iam_policy" and (c["change"]["after"] or {}).get("name") == name]
    return str(change["change"]["after"]["policy"])


def _lines_with(text: str, *parts: str) -> list[str]:
    return [line for line in text.splitlines() if all(part in line for part in parts)]


# The plans themselves: what each variant is said to be, it is.


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_replaced_plan_replaces_the_archive_table(plans: dict[str, PlanCase]) -> None:
    replaced = [c["address"] for c in plans["replaced"].plan["resource_changes"] if c["change"]["actions"] in (["delete", "create"], ["create", "delete"])]
    assert replaced == ["aws_dynamodb_table.archive_table_8BC16B9D"]


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_narrowed_plan_drops_getitem_from_orders_sync(plans: dict[str, PlanCase]) -> None:
    after = json.loads(_policy_after(plans["narrowed"].plan, "orders-sync-policy"))
    assert "dynamodb:GetItem" not in json.dumps(after) and "dynamodb:Query" in json.dumps(after)


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_many_grants_plan_is_an_iam_diff_of_over_40_kb(plans: dict[str, PlanCase]) -> None:
    assert len(_policy_after(plans["many_grants"].plan, "orders-sync-policy")) > 40_000


# 1. The first plan of the example service.


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_passes(reviewed: Callable[[str], Reviewed]) -> None:
    final = reviewed("first").final
    assert final.status == "passed", final.text()


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_patches_running_then_passed_within_the_schema(reviewed: Callable[[str], Reviewed]) -> None:
    callbacks = reviewed("first").callbacks
    assert [(c.status, c.violations) for c in callbacks] == [("running", ()), ("passed", ())]


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_summary_counts_what_terraform_adds(reviewed: Callable[[str], Reviewed], plans: dict[str, PlanCase]) -> None:
    adds = len(_changes(plans["first"].plan, ["create"]))
    summary = reviewed("first").final.outcome("summary")
    assert f"{adds} to add, 0 to change, 0 to destroy" in summary["body"] and "orders-service" in summary["body"]


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_says_why_orders_sync_may_get_orders(reviewed: Callable[[str], Reviewed]) -> None:
    # The why column comes from the permissions manifest in the configuration version.
    body = reviewed("first").final.outcome(SYNC_POLICY_OUTCOME)["body"]
    why = f"examples/orders-service/functions/sync/handler.py:{sync_line('orders.get_item(')} get_item"
    assert _lines_with(body, "`dynamodb:GetItem`", ORDERS_ARN, why), body


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_warns_of_orders_http_unused_grants(reviewed: Callable[[str], Reviewed]) -> None:
    outcome = reviewed("first").final.outcome("least-privilege")
    lines = _lines_with(outcome["body"] + "\n" + outcome["description"], "orders-http", "dynamodb:Scan")
    assert lines and outcome["tags"]["Severity"] == [{"label": "Medium", "level": "warning"}], outcome


@pytest.mark.emulator
@pytest.mark.terraform
def test_first_plan_redirect_reaches_the_blob_host_without_the_token(double: HcpTerraformDouble, reviewed: Callable[[str], Reviewed]) -> None:
    run = reviewed("first").run
    blob = [r for r in double.requests_for(run) if r.server == "blob"]
    api_gets = [r for r in double.requests_for(run) if r.server == "api" and r.method == "GET"]
    assert len(blob) == 2 and all(r.authorization is None and r.answered == 200 for r in blob), blob  # the plan and the configuration
    assert api_gets and all(r.authorization == f"Bearer {run.access_token}" for r in api_gets)


@pytest.mark.emulator
@pytest.mark.terraform
def test_without_a_configuration_version_the_plan_is_reviewed_saying_why_is_unavailable(
    double: HcpTerraformDouble, task_url: str, plans: dict[str, PlanCase]
) -> None:
    # configuration_version_download_url is null: no manifest, so no why column; still a review.
    final = review(double, task_url, plans["first"].plan, None).final
    assert final.status == "passed" and "why column is unavailable" in final.text(), final.text()


# 2.-4. Plans that must fail, each with its finding.


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_replaced_table_fails_the_task(reviewed: Callable[[str], Reviewed]) -> None:
    assert reviewed("replaced").final.status == "failed"


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_replaced_table_is_an_error_saying_its_items_are_lost(reviewed: Callable[[str], Reviewed]) -> None:
    outcome = reviewed("replaced").final.outcome("changes")
    assert _lines_with(outcome["body"], "aws_dynamodb_table.archive_table_8BC16B9D", "items are lost"), outcome["body"]
    assert outcome["tags"]["Severity"] == [{"label": "High", "level": "error"}]


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_role_widened_to_dynamodb_star_fails_the_task(reviewed: Callable[[str], Reviewed]) -> None:
    assert reviewed("widened").final.status == "failed"


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_role_widened_to_dynamodb_star_is_a_wildcard_error(reviewed: Callable[[str], Reviewed]) -> None:
    outcome = reviewed("widened").final.outcome("least-privilege")
    assert _lines_with(outcome["body"], "dynamodb:*", "orders-sync"), outcome["body"]
    assert outcome["tags"]["Severity"] == [{"label": "High", "level": "error"}]


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_call_the_policy_lacks_fails_the_task(reviewed: Callable[[str], Reviewed]) -> None:
    assert reviewed("narrowed").final.status == "failed"


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_call_the_policy_lacks_is_a_missing_permission_naming_the_call(reviewed: Callable[[str], Reviewed]) -> None:
    outcome = reviewed("narrowed").final.outcome("least-privilege")
    where = f"examples/orders-service/functions/sync/handler.py:{sync_line('orders.get_item(')}"
    assert _lines_with(outcome["body"], "orders-sync", "dynamodb:GetItem", "Orders", where), outcome["body"]


SECRET_NAME = "archive-s3cr3t-9f1c"


def with_sensitive_table_name(plan: dict[str, Any], address: str) -> dict[str, Any]:
    """``plan`` with the table at ``address`` named SECRET_NAME and that name marked sensitive, as
    Terraform marks it (``before_sensitive``/``after_sensitive``, ``sensitive_values``). Derived
    from a real plan: no provider marks a table's name sensitive, a variable or module output can."""
    text = json.dumps(plan)
    name = next(c["change"]["before"]["name"] for c in plan["resource_changes"] if c["address"] == address)
    derived = json.loads(text.replace(json.dumps({"name": name})[1:-1], json.dumps({"name": SECRET_NAME})[1:-1]))
    for change in derived["resource_changes"]:
        if change["address"] == address:
            for side in ("before_sensitive", "after_sensitive"):
                change["change"][side] = {**(change["change"].get(side) or {}), "name": True}
    for values in (derived.get("planned_values", {}), derived.get("prior_state", {}).get("values", {})):
        for resource in values.get("root_module", {}).get("resources", []):
            if resource["address"] == address:
                resource["sensitive_values"] = {**resource.get("sensitive_values", {}), "name": True}
    assert SECRET_NAME in json.dumps(derived)
    return derived


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_name_the_plan_marks_sensitive_is_never_sent_or_logged(
    double: HcpTerraformDouble, task_url: str, plans: dict[str, PlanCase], serve_log: Path
) -> None:
    plan = with_sensitive_table_name(plans["replaced"].plan, "aws_dynamodb_table.archive_table_8BC16B9D")
    reviewed = review(double, task_url, plan, plans["replaced"].stack_dir)
    sent = json.dumps([c.body for c in reviewed.callbacks])
    assert "(sensitive)" in reviewed.final.outcome("changes")["body"]
    assert SECRET_NAME not in sent and SECRET_NAME not in serve_log.read_text()


def with_more_policies(plan: dict[str, Any], like: str, count: int) -> dict[str, Any]:
    """``plan`` with ``count`` more policies, copies of the policy named ``like`` (new addresses and names)."""
    derived = copy.deepcopy(plan)
    (model,) = [c for c in plan["resource_changes"] if c["type"] == "aws_iam_policy" and (c["change"]["after"] or {}).get("name") == like]
    for n in range(count):
        extra = copy.deepcopy(model)
        extra.update(address=f"aws_iam_policy.extra_{n}", name=f"extra_{n}")
        extra["change"]["after"]["name"] = f"extra-{n}-policy"
        derived["resource_changes"].append(extra)
    return derived


@pytest.mark.emulator
@pytest.mark.terraform
def test_more_roles_than_outcomes_are_merged_and_none_is_left_out(
    double: HcpTerraformDouble, task_url: str, plans: dict[str, PlanCase]
) -> None:
    plan = with_more_policies(plans["first"].plan, "orders-sync-policy", 10)
    final = review(double, task_url, plan, plans["first"].stack_dir).final
    shown = "\n".join(f"{o['description']}\n{o.get('body', '')}" for o in final.outcomes if o["outcome-id"].startswith("iam-"))
    policies = [c["change"]["after"]["name"] for c in plan["resource_changes"] if c["type"] == "aws_iam_policy" and "policy" in c["change"]["after"]]
    assert (len(final.outcomes), final.violations) == (10, ())
    assert len(policies) == 13 and [name for name in policies if name not in shown] == []


# 5. A 40 KB IAM diff.


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_40_kb_iam_diff_stays_within_every_limit(reviewed: Callable[[str], Reviewed]) -> None:
    assert [(c.status, c.violations) for c in reviewed("many_grants").callbacks] == [("running", ()), ("passed", ())]


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_40_kb_iam_diff_is_cut_with_a_note_saying_how_to_see_it_all(reviewed: Callable[[str], Reviewed]) -> None:
    body = reviewed("many_grants").final.outcome(SYNC_POLICY_OUTCOME)["body"]
    assert BODY_MAX // 2 < len(body) <= BODY_MAX and "lambda-dynamodb review" in body.splitlines()[-1], body[-500:]
