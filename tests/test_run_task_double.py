"""The HCP Terraform double's own checks (tests/hcp_terraform_double/): each documented rule of the
callback payload is caught, so a run task test that finds no violation means something.

The rules: the JSON schemas of run task results (terraform-docs-common
website/public/schema/run-tasks/) and the integration API page
(https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from hcp_terraform_double import HcpTerraformDouble, callback_violations, check_request_payload, pytfe_violations, sign


def documented_example() -> dict[str, Any]:
    """The integration API page's complete callback example (its "Cost Centre" tag key, which the
    tag schema's pattern forbids, spelt Cost_Centre)."""
    return {
        "data": {
            "type": "task-results",
            "attributes": {"status": "failed", "message": "0 passed, 0 skipped, 1 failed", "url": "https://external.service.dev/run-1"},
            "relationships": {"outcomes": {"data": [{
                "type": "task-result-outcomes",
                "attributes": {
                    "outcome-id": "PRTNR-CC-TF-127",
                    "description": "ST-2942: S3 Bucket will not enforce MFA login on delete requests",
                    "tags": {
                        "Status": [{"label": "Denied", "level": "error"}],
                        "Severity": [{"label": "High", "level": "error"}, {"label": "Recoverable", "level": "info"}],
                        "Cost_Centre": [{"label": "IT-OPS"}],
                    },
                    "body": "# Resolution for issue ST-2942\n\n## Impact\n\nFollow the AWS S3 docs.",
                    "url": "https://external.service.dev/result/PRTNR-CC-TF-127",
                },
            }]}},
        }
    }


def outcome(body: dict[str, Any]) -> dict[str, Any]:
    return body["data"]["relationships"]["outcomes"]["data"][0]["attributes"]


def test_the_documented_example_has_no_violation() -> None:
    example = documented_example()
    assert (callback_violations(example), pytfe_violations(example)) == ([], [])


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


OUTCOME = "data/relationships/outcomes/data/0/attributes"
#: rule -> (how the example is broken, what the violation says)
BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "type": (_set("data/type", "task-result"), "data.type"),
    "status": (_set("data/attributes/status", "errored"), "data.attributes.status"),
    "empty message": (_set("data/attributes/message", ""), "data.attributes.message: 0 characters"),
    "long message": (_set("data/attributes/message", "m" * 1001), "data.attributes.message: 1001 characters"),
    "long url": (_set("data/attributes/url", "https://x/" + "u" * 491), "data.attributes.url: 501 characters"),
    "outcomes under attributes": (_set("data/attributes/outcomes", []), "outcomes belong under data.relationships"),
    "eleven outcomes": (
        lambda body: body["data"]["relationships"]["outcomes"].__setitem__("data", body["data"]["relationships"]["outcomes"]["data"] * 11),
        "11 outcomes",
    ),
    "outcome type": (_set("data/relationships/outcomes/data/0/type", "outcomes"), "task-result-outcomes"),
    "long outcome-id": (_set(f"{OUTCOME}/outcome-id", "o" * 65), "outcome-id: 65 characters"),
    "long description": (_set(f"{OUTCOME}/description", "d" * 1001), "description: 1001 characters"),
    "two-line description": (_set(f"{OUTCOME}/description", "one\ntwo"), "spans several lines"),
    "long body": (_set(f"{OUTCOME}/body", "b" * 10001), "body: 10001 characters"),
    "tag key": (_set(f"{OUTCOME}/tags", {"Cost Centre": [{"label": "IT"}]}), "does not match"),
    "eleven tag keys": (_set(f"{OUTCOME}/tags", {f"k{n}": [{"label": "x"}] for n in range(11)}), "11 keys"),
    "long label": (_set(f"{OUTCOME}/tags", {"Severity": [{"label": "L" * 33}]}), "label: 33 characters"),
    "level": (_set(f"{OUTCOME}/tags", {"Severity": [{"label": "High", "level": "critical"}]}), "level: 'critical'"),
}


@pytest.mark.parametrize("rule", BROKEN)
def test_a_callback_breaking_a_documented_rule_is_a_violation(rule: str) -> None:
    body = documented_example()
    breaking, said = BROKEN[rule]
    breaking(body)
    found = callback_violations(body)
    assert any(said in violation for violation in found), found


def test_pytfe_flags_a_callback_its_sdk_would_write_differently() -> None:
    # A null url is not what HashiCorp's SDK sends (it leaves the key out): pytfe's round trip differs.
    body = documented_example()
    outcome(body)["url"] = None
    assert pytfe_violations(body) and pytfe_violations(body)[0].startswith("pytfe:")


def test_the_doubles_request_is_what_pytfe_reads_as_a_run_task_request() -> None:
    with HcpTerraformDouble() as tfc:
        run = tfc.add_run({"format_version": "1.2", "resource_changes": []})
        payload = tfc.payload(run)
    check_request_payload(payload)  # raises on a missing or mistyped field
    assert payload["payload_version"] == 1 and payload["plan_json_api_url"].endswith(f"/api/v2/plans/{run.plan_id}/json-output")


def test_a_pre_plan_request_has_no_plan_url() -> None:
    with HcpTerraformDouble() as tfc:
        payload = tfc.payload(tfc.add_run({}), stage="pre_plan")
    assert "plan_json_api_url" not in payload


def test_the_signature_is_the_hex_hmac_sha512_of_the_body() -> None:
    assert sign("k", b"{}") == hmac.new(b"k", b"{}", hashlib.sha512).hexdigest()


def test_the_double_answers_422_to_a_callback_outside_the_schema() -> None:
    with HcpTerraformDouble() as tfc:
        run = tfc.add_run({"format_version": "1.2", "resource_changes": []})
        body = {"data": {"type": "task-results", "attributes": {"status": "done", "message": ""}}}
        request = urllib.request.Request(
            f"{tfc.address}/api/v2/task-results/{run.task_result_id}/callback", data=json.dumps(body).encode(), method="PATCH",
            headers={"Authorization": f"Bearer {run.access_token}", "Content-Type": "application/vnd.api+json"},
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=10)
        (callback,) = tfc.callbacks(run.task_result_id)
    assert answer.value.code == 422
    assert any("status: 'done'" in v for v in callback.violations) and any("message: 0 characters" in v for v in callback.violations)
