"""The run task's parts, fast and in process: protocol, addresses, limits, archive, intake, store, client, bundle.

The end-to-end tests (the real command against a double of HCP Terraform) are in the other
tests/test_run_task*.py files; these pin each rule on its own, each with its negative test.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import json
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb.review.changes import Counts
from lambda_dynamodb.review.findings import Finding, Kind, Level, Section
from lambda_dynamodb.review.iam_diff import PermissionChange
from lambda_dynamodb.review.model import IamRow, PlanReview, RoleChanges
from lambda_dynamodb.run_task import archive, callback, outcomes, protocol, worker
from lambda_dynamodb.run_task.addresses import Address, AddressError, check_token_urls, redirect_target
from lambda_dynamodb.run_task.bundle import HANDLER, closure, import_chain, write_code
from lambda_dynamodb.run_task.client import FetchError, PlanNotReady, TfcClient
from lambda_dynamodb.run_task.intake import accept
from lambda_dynamodb.run_task.protocol import PayloadError, Stage
from lambda_dynamodb.run_task.settings import RunTaskSettings, SettingsError, from_environment
from lambda_dynamodb.run_task.store import Finished, MemoryStore
from lambda_dynamodb.synthesis.output import FolderError

TFC = "https://tfc.example"
KEY = b"the-hmac-key"


def payload(**fields: Any) -> dict[str, Any]:
    body = {
        "payload_version": 1, "stage": "post_plan", "access_token": "SECRET-TOKEN", "task_result_id": "taskrs-1", "run_id": "run-1",
        "task_result_callback_url": f"{TFC}/api/v2/task-results/taskrs-1/callback",
        "plan_json_api_url": f"{TFC}/api/v2/plans/plan-1/json-output",
        "configuration_version_download_url": f"{TFC}/api/v2/configuration-versions/cv-1/download",
        "run_app_url": f"{TFC}/app/org/ws/runs/run-1", "workspace_name": "ws",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def raw(**fields: Any) -> bytes:
    return json.dumps(payload(**fields)).encode()


def settings(key: bytes | None = KEY, address: str = TFC) -> RunTaskSettings:
    return RunTaskSettings(Address.parse(address), key, plan_wait_seconds=1, poll_interval_seconds=0.01)


# --- protocol -------------------------------------------------------------------------------


def test_signature_is_the_hex_hmac_sha512_of_the_body() -> None:
    assert protocol.signature(KEY, b"body") == hmac.new(KEY, b"body", hashlib.sha512).hexdigest()


def test_verify_accepts_the_right_signature() -> None:
    assert protocol.verify(KEY, b"body", protocol.signature(KEY, b"body"))


@pytest.mark.parametrize("header", [None, "", "00" * 64, protocol.signature(b"other-key", b"body")])
def test_verify_refuses_a_missing_or_wrong_signature(header: str | None) -> None:
    assert not protocol.verify(KEY, b"body", header)


@pytest.mark.parametrize("body", [b"", b"  ", json.dumps({"access_token": "test-token"}).encode()])
def test_the_verification_request_is_recognised(body: bytes) -> None:
    assert protocol.is_verification(body)


def test_a_real_request_is_not_the_verification_request() -> None:
    assert not protocol.is_verification(raw())


def test_parse_reads_the_request() -> None:
    request = protocol.parse(raw())
    assert (request.task_result_id, request.stage, request.run_id) == ("taskrs-1", Stage.POST_PLAN, "run-1")
    assert "SECRET-TOKEN" not in repr(request)


@pytest.mark.parametrize(("body", "names"), [
    (b"not json", "not JSON"),
    (b"[1]", "not an object"),
    (raw(payload_version=2), "payload_version is 2"),
    (raw(payload_version="1"), "payload_version is \"1\""),
    (raw(payload_version=True), "payload_version is true"),
    (raw(payload_version=...), "payload_version is missing"),
    (raw(stage="during_apply"), "stage is \"during_apply\""),
    (raw(plan_json_api_url=None), "plan_json_api_url is missing"),
    (raw(run_app_url=5), "run_app_url is 5"),
])
def test_parse_refuses_a_body_naming_the_rule(body: bytes, names: str) -> None:
    with pytest.raises(PayloadError) as caught:
        protocol.parse(body)
    assert names in str(caught.value)


@pytest.mark.parametrize("field", ["task_result_id", "run_id", "task_result_callback_url", "access_token"])
@pytest.mark.parametrize("value", [..., None, "", 7])
def test_parse_refuses_a_missing_required_field(field: str, value: Any) -> None:
    with pytest.raises(PayloadError, match=f"^{field} is"):
        protocol.parse(raw(**{field: value}))


def test_parse_never_shows_the_token() -> None:
    with pytest.raises(PayloadError) as caught:
        protocol.parse(raw(access_token=["SECRET-TOKEN"]))
    assert "SECRET-TOKEN" not in str(caught.value)


def test_a_pre_plan_request_needs_no_plan_url() -> None:
    assert protocol.parse(raw(stage="pre_plan", plan_json_api_url=None)).plan_json_api_url is None


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "origin"), [
    ("https://app.terraform.io", "https://app.terraform.io"), ("https://TFE.example:8443/", "https://tfe.example:8443"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
])
def test_an_address_is_an_https_origin_or_local_http(text: str, origin: str) -> None:
    assert Address.parse(text).origin == origin


@pytest.mark.parametrize(("text", "rule"), [
    ("http://app.terraform.io", "accepted only on 127.0.0.1"), ("http://localhost:5000", "accepted only on 127.0.0.1"),
    ("ftp://app.terraform.io", "https://HOST"), ("app.terraform.io", "https://HOST"),
    ("https://app.terraform.io/api", "without a path"), ("https://app.terraform.io?x=1", "without a path"),
    ("https://user:pw@app.terraform.io", "user name"), ("https://host:99999", "not a URL"),
])
def test_a_bad_address_is_refused_naming_the_rule(text: str, rule: str) -> None:
    with pytest.raises(AddressError, match=rule):
        Address.parse(text)


@pytest.mark.parametrize(("url", "owned"), [
    (f"{TFC}/api/v2/x", True), ("https://TFC.example:443/x", True), ("https://tfc.example:444/x", False),
    ("http://tfc.example/x", False), ("https://tfc.example.evil/x", False), ("https://u@tfc.example/x", False), ("/api/v2/x", False),
])
def test_only_urls_at_the_address_are_owned(url: str, owned: bool) -> None:
    assert Address.parse(TFC).owns(url) is owned


@pytest.mark.parametrize("field", ["task_result_callback_url", "plan_json_api_url", "configuration_version_download_url"])
def test_a_token_url_elsewhere_is_refused_naming_the_field(field: str) -> None:
    urls = {name: f"{TFC}/x" for name in ("task_result_callback_url", "plan_json_api_url", "configuration_version_download_url")}
    with pytest.raises(AddressError, match=f"^{field} 'https://evil.example/x' is not at the configured address"):
        check_token_urls({**urls, field: "https://evil.example/x?token=1"}, Address.parse(TFC))


def test_a_null_configuration_url_is_allowed() -> None:
    check_token_urls({"task_result_callback_url": f"{TFC}/x", "configuration_version_download_url": None}, Address.parse(TFC))


@pytest.mark.parametrize(("location", "target"), [
    ("https://archivist.example/blob?s=1", "https://archivist.example/blob?s=1"), ("http://127.0.0.2:9/b", "http://127.0.0.2:9/b"),
    ("http://localhost:9/b", "http://localhost:9/b"), ("/relative", f"{TFC}/relative"),
])
def test_a_redirect_target_is_https_or_loopback_http(location: str, target: str) -> None:
    assert redirect_target(location, f"{TFC}/api/v2/plans/p/json-output") == target


@pytest.mark.parametrize(("location", "rule"), [
    (None, "no Location"), ("http://archivist.example/b", "must be https"), ("https://u:p@archivist.example/b", "without a user name"),
])
def test_a_bad_redirect_target_is_refused(location: str | None, rule: str) -> None:
    with pytest.raises(AddressError, match=rule):
        redirect_target(location, f"{TFC}/p")


# --- settings -------------------------------------------------------------------------------


def test_settings_default_to_hcp_terraform_and_no_key() -> None:
    made = from_environment({})
    assert (made.tfc_address.origin, made.hmac_key, made.plan_wait_seconds) == ("https://app.terraform.io", None, 600)


def test_settings_read_the_environment() -> None:
    made = from_environment({"LAMBDA_DYNAMODB_RUN_TASK_HMAC_KEY": "K3Y-VALUE", "LAMBDA_DYNAMODB_RUN_TASK_PLAN_WAIT_SECONDS": "2",
                             "LAMBDA_DYNAMODB_RUN_TASK_POLL_SECONDS": "0.1", "LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS": "http://127.0.0.1:1"})
    assert (made.hmac_key, made.plan_wait_seconds, made.poll_interval_seconds, made.tfc_address.port) == (b"K3Y-VALUE", 2, 0.1, 1)
    assert "K3Y-VALUE" not in repr(made)


@pytest.mark.parametrize(("environ", "rule"), [
    ({"LAMBDA_DYNAMODB_RUN_TASK_PLAN_WAIT_SECONDS": "soon"}, "must be a number"),
    ({"LAMBDA_DYNAMODB_RUN_TASK_PLAN_WAIT_SECONDS": "601"}, "between 0 and 600"),
    ({"LAMBDA_DYNAMODB_RUN_TASK_POLL_SECONDS": "0"}, "between 0.01 and 600"),
    ({"LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS": "http://tfc.example"}, "accepted only on 127.0.0.1"),
])
def test_bad_settings_are_refused_naming_the_variable(environ: dict[str, str], rule: str) -> None:
    with pytest.raises(SettingsError, match=rule):
        from_environment(environ)


# --- intake ---------------------------------------------------------------------------------


def signed(body: bytes) -> str:
    return protocol.signature(KEY, body)


@pytest.mark.parametrize("header", [None, "bad"])
def test_a_missing_or_wrong_signature_is_401_and_nothing_is_claimed(header: str | None) -> None:
    store = MemoryStore()
    answer = accept(raw(), header, settings(), store)
    assert (answer.status, answer.request, store.records) == (401, None, {})


def test_the_verification_request_is_200() -> None:
    body = json.dumps({"access_token": "test-token"}).encode()
    assert accept(body, signed(body), settings(), MemoryStore()).status == 200
    assert accept(b"", None, settings(key=None), MemoryStore()).status == 200


def test_a_signed_request_is_accepted_once() -> None:
    store = MemoryStore()
    first, again = (accept(raw(), signed(raw()), settings(), store) for _ in range(2))
    assert (first.status, first.request is not None) == (200, True)
    assert (again.status, again.request) == (200, None) and "already received" in again.text


def test_without_a_key_unsigned_requests_are_accepted() -> None:
    assert accept(raw(), None, settings(key=None), MemoryStore()).request is not None


@pytest.mark.parametrize(("body", "rule"), [
    (raw(payload_version=2), "payload_version"), (raw(plan_json_api_url="https://evil.example/p"), "plan_json_api_url"),
])
def test_a_bad_or_foreign_payload_is_400_and_nothing_is_claimed(body: bytes, rule: str) -> None:
    store = MemoryStore()
    answer = accept(body, signed(body), settings(), store)
    assert (answer.status, answer.request, store.records) == (400, None, {}) and rule in answer.text


# --- store ----------------------------------------------------------------------------------


def test_a_released_claim_can_be_claimed_again_and_finish_records_it() -> None:
    store, request = MemoryStore(), protocol.parse(raw())
    assert store.claim(request) and not store.claim(request)
    store.release(request.task_result_id)
    assert store.claim(request)
    assert store.start(request.task_result_id) and not store.start(request.task_result_id)
    store.finish(request.task_result_id, Finished("passed", "ok", 1, 2, 3))
    assert {k: store.records["taskrs-1"][k] for k in ("status", "add", "destroy")} == {"status": "passed", "add": 1, "destroy": 3}


class FakeDynamoDB:
    """What DynamoDBStore sends, recorded; a second claim of one id fails as DynamoDB's condition does."""

    class exceptions:  # noqa: N801 (boto3's spelling)
        class ConditionalCheckFailedException(Exception):
            pass

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def put_item(self, **arguments: Any) -> None:
        if any(name == "put_item" for name, _ in self.calls):
            raise self.exceptions.ConditionalCheckFailedException()
        self.calls.append(("put_item", arguments))

    def update_item(self, **arguments: Any) -> None:
        started = [(c.get("Key"), c.get("ConditionExpression")) for _, c in self.calls]
        if "ConditionExpression" in arguments and (arguments["Key"], arguments["ConditionExpression"]) in started:
            raise self.exceptions.ConditionalCheckFailedException()  # started already: no longer `accepted`
        self.calls.append(("update_item", arguments))


def test_the_dynamodb_store_claims_with_a_condition_on_the_table_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_dynamodb.run_task.store import DynamoDBStore

    client = FakeDynamoDB()
    monkeypatch.setitem(sys.modules, "boto3", type(sys)("boto3"))
    monkeypatch.setattr(sys.modules["boto3"], "client", lambda service: client, raising=False)
    monkeypatch.setenv("LAMBDA_DYNAMODB_RUN_TASK_TABLE", "RunTaskResults")
    store, request = DynamoDBStore(), protocol.parse(raw())
    assert store.claim(request) and not store.claim(request)
    store.finish("taskrs-1", Finished("failed", "no", 1, 0, 1))
    (_, put), (_, update) = client.calls
    assert put["TableName"] == update["TableName"] == "RunTaskResults"
    assert put["ConditionExpression"].startswith("attribute_not_exists(task_result_id)")
    assert put["Item"]["task_result_id"] == {"S": "taskrs-1"} and update["Key"] == {"task_result_id": {"S": "taskrs-1"}}


# --- the callback's limits, and the outcomes ------------------------------------------------


def test_a_text_within_its_limit_is_kept() -> None:
    assert callback.cut("short", 10) == "short"


def test_a_long_text_is_cut_to_its_limit_with_a_note() -> None:
    text = callback.cut("x" * 5000, 1000, "message")
    assert len(text) <= 1000 and "message cut" in text and "of 5,000 characters" in text and "lambda-dynamodb review" in text


def test_a_long_body_is_cut_at_a_line_end() -> None:
    text = callback.cut_lines("\n".join(f"| row {n} |" for n in range(3000)), 10_000)
    kept, note = text.split("\n\n_", 1)
    assert len(text) <= 10_000 and kept.endswith("|") and note.startswith("body cut")


def result_with(**outcome: Any) -> dict[str, Any]:
    fields = {"outcome_id": "o", "description": "d", "body": "b", **outcome}
    return callback.document(callback.TaskResult(callback.Status.PASSED, "m", None, (callback.Outcome(**fields),)))


def attributes(document: dict[str, Any]) -> dict[str, Any]:
    return document["data"]["relationships"]["outcomes"]["data"][0]["attributes"]


def test_the_document_is_json_api_with_outcomes_under_relationships() -> None:
    document = result_with(tags=(("Severity", (callback.Tag("High", callback.TagLevel.ERROR),)),))
    assert document["data"]["type"] == "task-results" and document["data"]["attributes"] == {"status": "passed", "message": "m"}
    assert attributes(document)["tags"] == {"Severity": [{"label": "High", "level": "error"}]}


def test_a_description_is_one_line_within_its_limit() -> None:
    description = attributes(result_with(description="line\n" * 400))["description"]
    assert "\n" not in description and len(description) <= 1000


def test_a_message_body_and_label_are_cut_and_a_long_url_left_out() -> None:
    document = callback.document(callback.TaskResult(callback.Status.FAILED, "m" * 3000, "https://x/" + "u" * 600, (
        callback.Outcome("o", "d", "b" * 20_000, (("Status", (callback.Tag("L" * 40, callback.TagLevel.INFO),)),), "https://x/" + "u" * 600),)))
    assert len(document["data"]["attributes"]["message"]) <= 1000 and "url" not in document["data"]["attributes"]
    outcome = attributes(document)
    assert len(outcome["body"]) <= 10_000 and "url" not in outcome and len(outcome["tags"]["Status"][0]["label"]) <= 32


def test_more_than_ten_outcomes_are_never_sent() -> None:
    with pytest.raises(ValueError, match="at most 10"):
        callback.document(callback.TaskResult(callback.Status.PASSED, "m", None, tuple(callback.Outcome(f"o{n}", "d", "b") for n in range(11))))


def role(policy: str, rows: int = 2, verdict: str = "used") -> RoleChanges:
    made = tuple(IamRow(PermissionChange.ADDED, f"dynamodb:Action{n}", f"arn:aws:dynamodb:eu-west-1:1:table/{policy}-{n}", "the code calls it", verdict)
                 for n in range(rows))
    return RoleChanges(policy, f"aws_iam_policy.{policy.lower()}", "Fn", made)


def review(findings: tuple[Finding, ...] = (), roles: tuple[RoleChanges, ...] = ()) -> PlanReview:
    return PlanReview("ws", "stack", Counts(1, 0, 0, 0), (), ("aws_s3_bucket.drifted",), findings, roles, (), None)


LOST = Finding(Level.ERROR, Kind.TABLE_LOST, Section.CHANGES, "aws_dynamodb_table.t", "`aws_dynamodb_table.t` will be replaced; its items are lost.")
PUBLIC = Finding(Level.WARNING, Kind.PUBLIC_URL, Section.LEAST_PRIVILEGE, "aws_lambda_function_url.u", "`u` has authorization NONE.")


def test_a_review_with_an_error_fails_with_its_sections() -> None:
    result = outcomes.review_result(review((LOST, PUBLIC), (role("P"),)), url=f"{TFC}/run")
    assert result.status is callback.Status.FAILED and "its items are lost" in result.message
    assert [o.outcome_id for o in result.outcomes] == ["summary", "changes", "iam-P", "least-privilege"]
    assert "aws_s3_bucket.drifted" in result.outcomes[0].body


def test_the_summary_names_ten_drifted_resources_and_counts_the_rest() -> None:
    drifted = tuple(f"aws_s3_bucket.b{n:02}" for n in range(25))
    result = outcomes.review_result(PlanReview("ws", "stack", Counts(0, 0, 0, 0), (), drifted, (), (), (), None))
    body = result.outcomes[0].body
    assert "25 resources" in body and "`aws_s3_bucket.b09`" in body and "aws_s3_bucket.b10" not in body and "and 15 more" in body


def test_a_review_without_errors_passes() -> None:
    result = outcomes.review_result(review((PUBLIC,)))
    assert result.status is callback.Status.PASSED and dict(result.outcomes[0].tags)["Severity"][0].label == "Medium"


def test_roles_beyond_the_free_slots_are_merged_into_one_outcome() -> None:
    result = outcomes.review_result(review((LOST,), tuple(role(f"Policy{n:02}") for n in range(40))))
    ids = [o.outcome_id for o in result.outcomes]
    assert len(ids) == 10 and ids[-1] == "iam-more" and "33 more roles" in result.outcomes[-1].description  # 10 - summary - changes = 8 slots: 7 roles + the merged 33


def test_a_huge_iam_diff_fits_the_limits() -> None:
    result = outcomes.review_result(review(roles=(role("Big", rows=400, verdict="missing"),)))
    sent = callback.document(result)["data"]["relationships"]["outcomes"]["data"][1]["attributes"]
    assert len(result.outcomes[1].body) > 40_000 and len(sent["body"]) <= 10_000 and "body cut" in sent["body"]
    assert sent["tags"]["Severity"] == [{"label": "High", "level": "error"}]


def test_outcome_ids_are_short_stable_and_unique() -> None:
    long = "P" * 100
    first, second = (outcomes.review_result(review(roles=(role(long), RoleChanges(long, "aws_iam_policy.other", None, role(long).rows)))) for _ in range(2))
    ids = [o.outcome_id for o in first.outcomes]
    assert ids == [o.outcome_id for o in second.outcomes] and len(set(ids)) == len(ids) and max(map(len, ids)) <= 64


# --- the configuration version --------------------------------------------------------------

MANIFEST = archive.FILE_NAME


def tar_gz(*members: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
    return buffer.getvalue()


def link(name: str, kind: bytes, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize("name", [MANIFEST, f"./{MANIFEST}", f"stack/{MANIFEST}"])
def test_the_manifest_is_read_at_the_root_or_one_folder_down(name: str, tmp_path: Path) -> None:
    folder = archive.manifest_folder(tar_gz(("main.tf.json", b"{}"), (name, b'{"m": 1}')), tmp_path / "stack")
    assert folder == tmp_path / "stack" and sorted(p.name for p in folder.iterdir()) == [MANIFEST]
    assert (folder / MANIFEST).read_bytes() == b'{"m": 1}'


def test_an_archive_without_a_manifest_gives_none(tmp_path: Path) -> None:
    assert archive.manifest_folder(tar_gz(("main.tf.json", b"{}"), (f"a/b/{MANIFEST}", b"{}")), tmp_path / "s") is None


@pytest.mark.parametrize(("member", "rule"), [
    ((f"/{MANIFEST}", b"{}"), "absolute path"),
    ((f"../{MANIFEST}", b"{}"), "'..' step"),
    ((f"stack/../../{MANIFEST}", b"{}"), "'..' step"),
    (link(MANIFEST, tarfile.SYMTYPE, "/etc/passwd"), "is a link"),
    (link(MANIFEST, tarfile.LNKTYPE, "main.tf.json"), "is a link"),
    (link(MANIFEST, tarfile.FIFOTYPE, ""), "not a regular file"),
])
def test_an_unsafe_manifest_member_is_refused(member: Any, rule: str, tmp_path: Path) -> None:
    with pytest.raises(archive.ArchiveError, match=rule):
        archive.manifest_folder(tar_gz(member), tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_an_oversized_manifest_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MANIFEST_LIMIT_BYTES", 10)
    with pytest.raises(archive.ArchiveError, match="over the 10 the run task reads"):
        archive.manifest_folder(tar_gz((MANIFEST, b"x" * 11)), tmp_path / "s")


def test_two_manifests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(archive.ArchiveError, match="2 manifests"):
        archive.manifest_folder(tar_gz((f"a/{MANIFEST}", b"{}"), (f"b/{MANIFEST}", b"{}")), tmp_path / "s")


def test_an_archive_that_is_not_tar_gz_is_refused(tmp_path: Path) -> None:
    with pytest.raises(archive.ArchiveError, match="not a readable tar.gz"):
        archive.manifest_folder(b"PK\x03\x04 a zip", tmp_path / "s")


# --- the client, against a local server ------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Answers from ``server.routes`` (path -> (status, headers, body)), recording each request."""

    server: Any

    def do_GET(self) -> None:  # noqa: N802
        self.server.seen.append(("GET", self.path, self.headers.get("Authorization"), self.headers.get("Content-Type")))
        routes = self.server.routes[self.path]
        status, headers, body = routes.pop(0) if len(routes) > 1 else routes[0]
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_PATCH(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append(("PATCH", self.path, self.headers.get("Authorization"), self.headers.get("Content-Type"), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[ThreadingHTTPServer, ThreadingHTTPServer]]:
    """An HCP Terraform address on 127.0.0.1 and a blob store on localhost (another host)."""
    made = []
    for host in ("127.0.0.1", "localhost"):
        server = ThreadingHTTPServer((host, 0), Recorder)
        server.routes, server.seen = {}, []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        made.append(server)
    yield made[0], made[1]
    for server in made:
        server.shutdown()
        server.server_close()


def test_the_plan_is_retried_on_204_and_its_redirect_gets_no_token(servers: Any) -> None:
    tfc, blob = servers
    base = f"http://127.0.0.1:{tfc.server_address[1]}"
    blob.routes["/plan?sig=1"] = [(200, {}, b'{"format_version": "1.2"}')]
    tfc.routes["/p"] = [(204, {}, b""), (307, {"Location": f"http://localhost:{blob.server_address[1]}/plan?sig=1"}, b"")]
    plan = TfcClient(Address.parse(base), "SECRET-TOKEN").plan_json(f"{base}/p", deadline=1e12, poll_interval=0.01)
    assert plan == {"format_version": "1.2"}
    assert [seen[2] for seen in tfc.seen] == ["Bearer SECRET-TOKEN"] * 2 and [seen[2] for seen in blob.seen] == [None]


def test_a_plan_never_ready_stops_at_the_deadline(servers: Any) -> None:
    tfc, _ = servers
    base = f"http://127.0.0.1:{tfc.server_address[1]}"
    tfc.routes["/p"] = [(204, {}, b"")]
    with pytest.raises(PlanNotReady):
        TfcClient(Address.parse(base), "t").plan_json(f"{base}/p", deadline=0, poll_interval=0.01)


def test_a_redirect_to_plain_http_elsewhere_is_not_followed(servers: Any) -> None:
    tfc, _ = servers
    base = f"http://127.0.0.1:{tfc.server_address[1]}"
    tfc.routes["/p"] = [(302, {"Location": "http://archivist.example/plan"}, b"")]
    with pytest.raises(FetchError, match="must be https"):
        TfcClient(Address.parse(base), "t").get(f"{base}/p", 100)


def test_the_token_is_never_sent_to_another_address(servers: Any) -> None:
    tfc, blob = servers
    client = TfcClient(Address.parse(f"http://127.0.0.1:{tfc.server_address[1]}"), "SECRET-TOKEN")
    with pytest.raises(FetchError, match="the token is not sent there"):
        client.patch(f"http://localhost:{blob.server_address[1]}/callback", {})
    assert blob.seen == []


def test_the_callback_is_patched_as_json_api_with_the_token(servers: Any) -> None:
    tfc, _ = servers
    base = f"http://127.0.0.1:{tfc.server_address[1]}"
    TfcClient(Address.parse(base), "SECRET-TOKEN").patch(f"{base}/cb", {"data": {}})
    assert tfc.seen == [("PATCH", "/cb", "Bearer SECRET-TOKEN", "application/vnd.api+json", {"data": {}})]


# --- the worker -----------------------------------------------------------------------------

REPLACED_TABLE = {"format_version": "1.2", "resource_changes": [{
    "address": "aws_dynamodb_table.t", "mode": "managed", "type": "aws_dynamodb_table", "name": "t",
    "change": {"actions": ["delete", "create"], "before": {"name": "Orders"}, "after": {"name": "Orders2"}, "after_unknown": {}, "replace_paths": [["name"]]},
}]}


class FakeClient:
    def __init__(self, plan: Any = REPLACED_TABLE, archive_bytes: bytes | None = None) -> None:
        self.plan, self.archive, self.patches = plan, archive_bytes, []

    def patch(self, url: str, document: Any) -> None:
        self.patches.append(document["data"]["attributes"])

    def plan_json(self, url: str, **waiting: Any) -> Any:
        if isinstance(self.plan, Exception):
            raise self.plan
        return self.plan

    def get(self, url: str, limit: int) -> tuple[int, bytes]:
        return 200, self.archive or tar_gz(("main.tf.json", b"{}"))


def run_worker(client: FakeClient, **fields: Any) -> tuple[callback.TaskResult, MemoryStore]:
    store = MemoryStore()
    result = worker.process(protocol.parse(raw(**fields)), settings(), store, client_factory=lambda s, r: client, log=io.StringIO())  # type: ignore[arg-type,return-value]
    return result, store


def test_the_worker_reports_running_then_the_review() -> None:
    client = FakeClient()
    result, store = run_worker(client)
    assert [p["status"] for p in client.patches] == ["running", "failed"] and result.status is callback.Status.FAILED
    assert Kind.TABLE_LOST.value in "".join(o.body for o in result.outcomes)
    assert store.records["taskrs-1"]["status"] == "failed" and store.records["taskrs-1"]["add"] == 1


def test_a_stage_other_than_post_plan_passes_saying_why() -> None:
    client = FakeClient()
    result, _ = run_worker(client, stage="pre_apply")
    assert result.status is callback.Status.PASSED and "post_plan only" in result.message


def test_a_plan_never_ready_fails_the_task() -> None:
    result, _ = run_worker(FakeClient(PlanNotReady("204")))
    assert result.status is callback.Status.FAILED and "not ready within 1 seconds" in result.message


def test_a_plan_that_is_not_a_plan_fails_naming_the_rule() -> None:
    result, _ = run_worker(FakeClient({"values": {}}))
    assert result.status is callback.Status.FAILED and "format_version" in result.message


def test_an_unexpected_error_fails_without_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError("SENSITIVE-PLAN-VALUE")

    monkeypatch.setattr(worker, "plan_review", broken)
    result, _ = run_worker(FakeClient())
    assert result.status is callback.Status.FAILED and "ValueError" in result.message and "SENSITIVE" not in result.message


def test_a_configuration_without_a_manifest_is_still_reviewed_saying_so() -> None:
    result, _ = run_worker(FakeClient(), configuration_version_download_url=None)
    assert "no configuration version" in result.outcomes[0].body


# --- the local server and the Lambda front ends ----------------------------------------------


def test_the_server_answers_health_signature_and_size_checks() -> None:
    import urllib.error
    import urllib.request

    from lambda_dynamodb.run_task import server as server_module

    made = server_module.make_server("127.0.0.1", 0, settings(), log=io.StringIO())
    threading.Thread(target=made.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        assert urllib.request.urlopen(f"{made.url}/healthz").status == 200

        def post(body: bytes) -> int:
            try:
                return urllib.request.urlopen(urllib.request.Request(made.url, data=body, method="POST")).status
            except urllib.error.HTTPError as error:
                return error.code

        assert post(raw()) == 401
        connection = http.client.HTTPConnection("127.0.0.1", made.server_address[1])
        connection.putrequest("POST", "/")  # a body over the cap is refused from its length, before it is read
        connection.putheader("Content-Length", str(server_module.BODY_LIMIT_BYTES + 1))
        connection.endheaders()
        assert connection.getresponse().status == 413
        connection.close()
        assert "SECRET-TOKEN" not in made.log.getvalue()  # type: ignore[attr-defined]
    finally:
        made.shutdown()
        made.server_close()


def lambda_with_fakes(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any]]:
    from lambda_dynamodb.run_task import lambda_handler

    sent: list[Any] = []
    dynamodb = FakeDynamoDB()

    class Sqs:
        def send_message(self, **arguments: Any) -> None:
            sent.append(arguments)

    boto3 = type(sys)("boto3")
    boto3.client = lambda service: {"dynamodb": dynamodb, "sqs": Sqs()}[service]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "boto3", boto3)
    monkeypatch.setenv("LAMBDA_DYNAMODB_RUN_TASK_TABLE", "T")
    monkeypatch.setenv("LAMBDA_DYNAMODB_RUN_TASK_QUEUE_URL", "https://sqs.example/q")
    monkeypatch.setattr(lambda_handler, "settings", lambda: settings())
    return lambda_handler, sent


def test_the_function_url_front_end_claims_queues_and_answers_200(monkeypatch: pytest.MonkeyPatch) -> None:
    module, sent = lambda_with_fakes(monkeypatch)
    event = {"requestContext": {"http": {"method": "POST"}}, "rawPath": "/", "headers": {"x-tfc-task-signature": signed(raw())}, "body": raw().decode()}
    assert module.handle(event, None)["statusCode"] == 200
    (message,) = sent
    queued = json.loads(message["MessageBody"])
    assert message["QueueUrl"] == "https://sqs.example/q" and queued["signature_checked"] is True
    assert module.handle({**event, "headers": {}}, None)["statusCode"] == 401 and len(sent) == 1


def test_the_queue_worker_reparses_without_reverifying(monkeypatch: pytest.MonkeyPatch) -> None:
    module, _ = lambda_with_fakes(monkeypatch)
    processed: list[Any] = []
    monkeypatch.setattr(module.worker, "process", lambda request, *args, **kwargs: processed.append(request))

    def record(body: bytes, checked: bool) -> dict[str, Any]:
        import base64

        message = {"body": base64.b64encode(body).decode(), "signature_checked": checked, "received_at": 1.0}
        return {"eventSource": "aws:sqs", "messageId": "m", "body": json.dumps(message)}

    foreign = raw(task_result_callback_url="https://evil.example/cb")
    assert module.handle({"Records": [record(raw(), True), record(foreign, True), record(raw(), False)]}, None) == {"batchItemFailures": []}
    assert [r.task_result_id for r in processed] == ["taskrs-1"]
    module.handle({"Records": [record(raw(), True)]}, None)  # SQS delivers it again: not reviewed twice
    assert len(processed) == 1


# --- the Lambda code folder, and what the package imports -------------------------------------

FORBIDDEN = ("cdktf", "jsii", "constructs", "lambda_dynamodb.testing", "lambda_dynamodb.analysis", "lambda_dynamodb.constructs")


def test_the_bundle_closure_has_no_cdktf_jsii_testing_or_analysis_module() -> None:
    modules = closure()
    assert "lambda_dynamodb.run_task.lambda_handler" in modules and "lambda_dynamodb.review.model" in modules
    forbidden = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert forbidden == [], f"{len(forbidden)} modules, e.g. {' <- '.join(import_chain(forbidden[0]))}" if forbidden else ""


def test_write_code_writes_the_handler_folder_and_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    made = write_code(tmp_path / "code")
    assert (made / "lambda_dynamodb" / "run_task" / "lambda_handler.py").is_file() and HANDLER == "lambda_dynamodb.run_task.handler"
    assert not (made / "lambda_dynamodb" / "run_task" / "server.py").exists()
    write_code(tmp_path / "code")  # its own folder: replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(FolderError):
        write_code(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_importing_the_run_task_loads_no_cdktf_jsii_constructs_or_boto3() -> None:
    code = (
        "import sys, lambda_dynamodb.run_task, lambda_dynamodb.run_task.server, lambda_dynamodb.run_task.worker, "
        "lambda_dynamodb.run_task.lambda_handler\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'constructs', 'boto3', 'botocore')])"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
