"""A test double of HCP Terraform's side of a run task, written from HashiCorp's documentation only.

Sources (never the run task's own code, which it tests):
https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration (the request,
its headers and signature, the callback), the JSON schemas of the callback (terraform-docs-common
``website/public/schema/run-tasks/runtask-result.json``, ``runtask-outcome.json``, ``runtask-tag.json``,
``runtask-rich-label.json``), https://developer.hashicorp.com/terraform/cloud-docs/api-docs/plans (the plan
JSON: 204 until ready, then 307 to a URL on another host that lives one minute) and .../configuration-versions
(the configuration as tar.gz behind a 302). ``pytfe``'s models (HashiCorp's Python SDK) check the request
this double sends and every callback it receives, independently of the schema checks.

Modules: ``request`` (what HCP Terraform sends: payload, headers, signature), ``double`` (the two
servers and what they record), ``schema`` (the callback's documented shape and limits, and pytfe's
reading of it), ``records`` (Run, Recorded, Callback), ``command`` (the run task as a subprocess).
Import everything from the package: ``from hcp_terraform_double import ...`` (tests/ is on the path).

Two servers: the API on 127.0.0.1 and a "blob" host on 127.0.0.2 (another loopback address, so the
redirect really leaves the API host; Linux routes all of 127.0.0.0/8 to the loopback interface, macOS
needs `sudo ifconfig lo0 alias 127.0.0.2`) that serves the plan JSON and the configuration archive at
URLs that expire. Every request either server gets is recorded (:attr:`HcpTerraformDouble.requests`).

    from hcp_terraform_double import HcpTerraformDouble, run_task_server

    with HcpTerraformDouble() as tfc, run_task_server(tfc.address, hmac_key="k") as task_url:
        run = tfc.add_run(plan_json, stack_dir=stack_folder, not_ready=2)   # 204 twice, then 307
        assert tfc.send_task(task_url, run, hmac_key="k") == 200
        final = tfc.wait_for_final(run.task_result_id, timeout=60)          # the passed/failed PATCH
        assert final.status == "failed" and not final.violations
        assert [c.status for c in tfc.callbacks(run.task_result_id)] == ["running", "failed"]

API:
- ``HcpTerraformDouble(api_host="127.0.0.1", blob_host="127.0.0.2", blob_ttl_seconds=60)``: a context
  manager; ``.address`` (``http://127.0.0.1:PORT``, what ``--tfc-address`` gets), ``.blob_address``.
- ``add_run(plan, stack_dir=None, not_ready=0, task_result_id=None, config_redirect=True, plan_location=None)
  -> Run``: a run whose plan JSON is ``plan`` (a dict), whose configuration version is ``stack_dir`` as
  tar.gz (None: ``configuration_version_download_url`` is null, as for a configuration that cannot be
  downloaded; ``config_redirect=False``: served at once instead of behind a 302); the plan endpoint
  answers 204 ``not_ready`` times first, then 307 to a blob URL (or to ``plan_location``, e.g. a URL
  the run task must refuse). Each run has its own random access token.
- ``payload(run, stage="post_plan", **overrides) -> dict``: every documented field (payload_version 1).
- ``send_task(task_url, run, stage="post_plan", hmac_key=None, signature=None, overrides=None) -> int``:
  POSTs the payload signed (hex HMAC-SHA512 of the raw body; ``signature`` replaces it, e.g. a wrong
  one; ``overrides`` replaces payload fields, e.g. a foreign ``task_result_callback_url``) and returns
  the HTTP status. ``last_answer`` keeps the status and body text of the last POST.
- ``send_verification(task_url, hmac_key=None, empty_body=False) -> int``: the request HCP Terraform
  sends when a task is created (access_token "test-token"; some SDKs document an empty body).
- ``requests`` / ``requests_to(server, path_prefix="")`` / ``requests_for(run)``: every request received
  (``Recorded``: server "api" or "blob", method, path, headers, body, the status answered, ``authorization``).
- ``callbacks(task_result_id) -> list[Callback]``; ``wait_for_final(task_result_id, timeout) -> Callback``;
  ``wait_for_callbacks(task_result_id, count, timeout)``. A ``Callback`` has the headers, the parsed
  body, ``status``, ``message``, ``outcomes`` (the attributes of each outcome) and ``violations``
  (every way it breaks the documented shape or limits; the double records them instead of failing).
  ``normalized(callback)``: its body with the run's ids and the double's address as placeholders, so
  that two runs of one plan (the local server's, the Lambda's) compare equal.
- ``run_task_server(tfc_address, hmac_key=None, plan_wait_seconds=None, poll_interval_seconds=None, env=None, log=None)``:
  the run task as the real command ``lambda-dynamodb run-task serve --port 0``, yielding its URL.
"""

from __future__ import annotations

from .command import run_task_server
from .double import HcpTerraformDouble, stack_archive
from .records import Callback, Recorded, Run
from .request import USER_AGENT, VERIFICATION_TOKEN, check_request_payload, sign, task_payload
from .schema import (
    BODY_MAX,
    DESCRIPTION_MAX,
    JSON_API,
    MESSAGE_MAX,
    OUTCOMES_MAX,
    callback_violations,
    pytfe_violations,
)

__all__ = [
    "BODY_MAX",
    "DESCRIPTION_MAX",
    "JSON_API",
    "MESSAGE_MAX",
    "OUTCOMES_MAX",
    "USER_AGENT",
    "VERIFICATION_TOKEN",
    "Callback",
    "HcpTerraformDouble",
    "Recorded",
    "Run",
    "callback_violations",
    "check_request_payload",
    "pytfe_violations",
    "run_task_server",
    "sign",
    "stack_archive",
    "task_payload",
]
