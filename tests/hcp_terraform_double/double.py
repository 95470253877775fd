"""The double's two servers: HCP Terraform's API (plans, configuration versions, task result
callbacks) on 127.0.0.1 and its blob host ("archivist") on 127.0.0.2, and what they record."""

from __future__ import annotations

import io
import json
import re
import secrets
import tarfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .records import Callback, Recorded, Run
from .request import VERIFICATION_TOKEN, check_request_payload, post, task_payload
from .schema import FINAL_STATUSES, JSON_API, callback_violations, pytfe_violations


@dataclass
class _RunState:
    run: Run
    plan: bytes
    archive: bytes | None
    not_ready: int
    config_redirect: bool
    plan_location: str | None


@dataclass
class _Blob:
    content: bytes
    content_type: str
    expires: float


@dataclass
class _State:
    runs_by_plan: dict[str, _RunState] = field(default_factory=dict)
    runs_by_config: dict[str, _RunState] = field(default_factory=dict)
    runs_by_result: dict[str, _RunState] = field(default_factory=dict)
    blobs: dict[str, _Blob] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)


def stack_archive(stack_dir: Path) -> bytes:
    """The stack folder as a configuration version: tar.gz, its files at the archive's root (what the
    cdktf CLI uploads for a CLI-driven run: cdk.tf.json, the permissions manifest, the assets)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(stack_dir.rglob("*")):
            if path.is_file() and ".terraform" not in path.relative_to(stack_dir).parts:
                archive.add(path, arcname=path.relative_to(stack_dir).as_posix())
    return buffer.getvalue()


class HcpTerraformDouble:
    """HCP Terraform's API (plans, configuration versions, task result callbacks) and its blob host."""

    #: "This temporary URL provided by the redirect has a life of 1 minute" (api-docs/plans).
    def __init__(self, api_host: str = "127.0.0.1", blob_host: str = "127.0.0.2", blob_ttl_seconds: float = 60) -> None:
        self._state = _State()
        self._blob_ttl = blob_ttl_seconds
        self._api = ThreadingHTTPServer((api_host, 0), _handler(self, "api"))
        self._blob = ThreadingHTTPServer((blob_host, 0), _handler(self, "blob"))
        # A short poll: shutdown() waits for it, and tests start and stop doubles often.
        self._threads = [
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True) for server in (self._api, self._blob)
        ]
        self.last_answer: tuple[int, str] | None = None

    def __enter__(self) -> HcpTerraformDouble:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self._api, self._blob):
            server.shutdown()
            server.server_close()

    @property
    def address(self) -> str:
        host, port = self._api.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def blob_address(self) -> str:
        host, port = self._blob.server_address[:2]
        return f"http://{host}:{port}"

    # --- runs --------------------------------------------------------------------------------

    def add_run(
        self,
        plan: Mapping[str, Any],
        stack_dir: Path | None = None,
        *,
        not_ready: int = 0,
        task_result_id: str | None = None,
        config_redirect: bool = True,
        plan_location: str | None = None,
    ) -> Run:
        run = Run(
            run_id=f"run-{secrets.token_hex(8)}",
            plan_id=f"plan-{secrets.token_hex(8)}",
            configuration_version_id=f"cv-{secrets.token_hex(8)}",
            task_result_id=task_result_id or f"taskrs-{secrets.token_hex(8)}",
            # HCP Terraform mints a token per task result; a random one shows none is reused or guessed.
            access_token=f"{secrets.token_hex(7)}.atlasv1.{secrets.token_urlsafe(48)}",
        )
        state = _RunState(run, json.dumps(plan).encode(), stack_archive(stack_dir) if stack_dir else None, not_ready, config_redirect, plan_location)
        with self._state.lock:
            self._state.runs_by_plan[run.plan_id] = state
            self._state.runs_by_config[run.configuration_version_id] = state
            self._state.runs_by_result[run.task_result_id] = state
        return run

    def payload(self, run: Run, stage: str = "post_plan", **overrides: Any) -> dict[str, Any]:
        downloadable = self._state.runs_by_result[run.task_result_id].archive is not None
        return task_payload(self.address, run, downloadable=downloadable, stage=stage, **overrides)

    def send_task(
        self,
        task_url: str,
        run: Run,
        *,
        stage: str = "post_plan",
        hmac_key: str | bytes | None = None,
        signature: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> int:
        payload = self.payload(run, stage, **dict(overrides or {}))
        check_request_payload(payload)
        return self._post(task_url, json.dumps(payload).encode(), hmac_key, signature)

    def send_verification(self, task_url: str, hmac_key: str | bytes | None = None, *, empty_body: bool = False) -> int:
        if empty_body:
            return self._post(task_url, b"", hmac_key, None)
        run = self.add_run({})
        payload = self.payload(run, access_token=VERIFICATION_TOKEN)
        return self._post(task_url, json.dumps(payload).encode(), hmac_key, None)

    def _post(self, url: str, body: bytes, hmac_key: str | bytes | None, signature: str | None) -> int:
        self.last_answer = post(url, body, hmac_key, signature)
        return self.last_answer[0]

    # --- what arrived ------------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._state.lock:
            return list(self._state.requests)

    def requests_to(self, server: str, path_prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.server == server and r.path.startswith(path_prefix)]

    def requests_for(self, run: Run) -> list[Recorded]:
        """The requests about ``run``: its plan, its configuration version, its callback, its blobs."""
        ids = (run.plan_id, run.configuration_version_id, run.task_result_id)
        return [r for r in self.requests if any(f"/{i}/" in r.path or r.path.endswith(f"/{i}") for i in ids)]

    def callbacks(self, task_result_id: str) -> list[Callback]:
        with self._state.lock:
            return [c for c in self._state.callbacks if c.task_result_id == task_result_id]

    def wait_for_callbacks(self, task_result_id: str, count: int, timeout: float) -> list[Callback]:
        deadline = time.monotonic() + timeout
        with self._state.lock:
            while True:
                found = [c for c in self._state.callbacks if c.task_result_id == task_result_id]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    assert len(found) >= count, f"{len(found)} of {count} callbacks for {task_result_id} within {timeout} s: {self._summary()}"
                    return found
                self._state.lock.wait(remaining)

    def wait_for_final(self, task_result_id: str, timeout: float) -> Callback:
        """The first PATCH of ``task_result_id`` with status passed or failed."""
        deadline = time.monotonic() + timeout
        with self._state.lock:
            while True:
                final = [c for c in self._state.callbacks if c.task_result_id == task_result_id and c.status in FINAL_STATUSES]
                if final:
                    return final[0]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no passed/failed callback for {task_result_id} within {timeout} s: {self._summary()}")
                self._state.lock.wait(remaining)

    def normalized(self, callback: Callback) -> Any:
        """The callback's body with its run's ids as placeholders: the results of two runs of the
        same plan (say, the local server's and the Lambda's) compare equal when they say the same."""
        run = self._state.runs_by_result[callback.task_result_id].run
        text = json.dumps(callback.body)
        for name in ("run_id", "plan_id", "configuration_version_id", "task_result_id"):
            text = text.replace(getattr(run, name), f"<{name}>")
        return json.loads(text.replace(self.address, "<address>"))

    def _summary(self) -> str:
        return "; ".join(f"{r.server} {r.method} {r.path} -> {r.answered}" for r in self._state.requests) or "no request arrived"

    # --- serving -----------------------------------------------------------------------------

    def _record(self, recorded: Recorded, callback: Callback | None = None) -> None:
        with self._state.lock:
            self._state.requests.append(recorded)
            if callback is not None:
                self._state.callbacks.append(callback)
            self._state.lock.notify_all()

    def _mint_blob(self, run: Run, content: bytes, content_type: str) -> str:
        # Opaque and short-lived, as HCP Terraform's archivist URLs are; the task result id in it
        # only lets the tests tell the runs apart (requests_for).
        key = f"{run.task_result_id}/{secrets.token_urlsafe(24)}"
        with self._state.lock:
            self._state.blobs[key] = _Blob(content, content_type, time.monotonic() + self._blob_ttl)
        return f"{self.blob_address}/v1/object/{key}"

    def _serve(self, server: str, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes, Callback | None]:
        if server == "blob":
            return (*self._serve_blob(method, path), None)
        return self._serve_api(method, path, headers, body)

    def _serve_blob(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        key = path.removeprefix("/v1/object/")
        with self._state.lock:
            blob = self._state.blobs.get(key) if method == "GET" and path.startswith("/v1/object/") else None
        if blob is None or blob.expires < time.monotonic():
            return 404, {"Content-Type": "text/plain"}, b"no such object, or its URL has expired"
        return 200, {"Content-Type": blob.content_type}, blob.content

    def _serve_api(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes, Callback | None]:
        token = _bearer(headers)
        if method == "GET" and (match := re.fullmatch(r"/api/v2/plans/([^/]+)/json-output", path)):
            state = self._state.runs_by_plan.get(match[1])
            if state is None or token != state.run.access_token:
                # "404: Plan not found, or user unauthorized to perform action" (api-docs/plans).
                return (*_api_error(404, "plan not found, or user unauthorized to perform action"), None)
            with self._state.lock:
                if state.not_ready > 0:
                    state.not_ready -= 1
                    return 204, {}, b"", None
            location = state.plan_location or self._mint_blob(state.run, state.plan, "application/json")
            return 307, {"Location": location}, b"", None
        if method == "GET" and (match := re.fullmatch(r"/api/v2/configuration-versions/([^/]+)/download", path)):
            state = self._state.runs_by_config.get(match[1])
            if state is None or state.archive is None or token != state.run.access_token:
                # 404 for all three (api-docs/configuration-versions, "Download Configuration Files").
                return (*_api_error(404, "configuration version not found, or user unauthorized to perform action"), None)
            if state.config_redirect:  # "generate a temporary URL ... and then redirect to that link" (302)
                return 302, {"Location": self._mint_blob(state.run, state.archive, "application/x-gzip")}, b"", None
            return 200, {"Content-Type": "application/octet-stream"}, state.archive, None
        if method == "PATCH" and (match := re.fullmatch(r"/api/v2/task-results/([^/]+)/callback", path)):
            return self._callback(match[1], headers, body, token)
        return (*_api_error(404, f"no route {method} {path}"), None)

    def _callback(self, task_result_id: str, headers: dict[str, str], body: bytes, token: str | None) -> tuple[int, dict[str, str], bytes, Callback]:
        state = self._state.runs_by_result.get(task_result_id)
        violations: list[str] = []
        if state is None:
            violations.append(f"task result {task_result_id}: unknown")
        elif token != state.run.access_token:
            violations.append("Authorization: not 'Bearer <the access_token of the request>'")
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if content_type.split(";")[0].strip() != JSON_API:
            violations.append(f"Content-Type: {content_type!r}, must be {JSON_API}")
        try:
            parsed: Any = json.loads(body)
        except ValueError as error:
            parsed = None
            violations.append(f"body: not JSON ({error})")
        if parsed is not None:
            shape = callback_violations(parsed)
            violations += shape or pytfe_violations(parsed)
        callback = Callback(task_result_id, dict(headers), parsed, tuple(violations))
        if state is None or token != (state.run.access_token if state else None):
            return (*_api_error(401, "unauthorized"), callback)
        if violations:
            return (*_api_error(422, "; ".join(violations)[:2000]), callback)
        return 200, {}, b"", callback


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    return value[len("Bearer "):] if value and value.startswith("Bearer ") else None


def _api_error(status: int, detail: str) -> tuple[int, dict[str, str], bytes]:
    # A JSON:API error object, as the API documents for 401 and 422.
    return status, {"Content-Type": JSON_API}, json.dumps({"errors": [{"status": str(status), "detail": detail}]}).encode()


def _handler(double: HcpTerraformDouble, server: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name: value for name, value in self.headers.items()}
            status, answer_headers, answer, callback = double._serve(server, self.command, self.path, headers, body)
            double._record(Recorded(server, self.command, self.path, headers, body, status), callback)
            self.send_response(status)
            for name, value in answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if answer and self.command != "HEAD":
                self.wfile.write(answer)

        do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        def log_message(self, format: str, *args: Any) -> None:  # the records say it all
            pass

    return Handler
