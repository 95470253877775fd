"""The run task as a local HTTP server (``lambda-dynamodb run-task serve``): stdlib only.

``POST`` (any path: HCP Terraform posts to the task's URL as registered) is decided by
:func:`lambda_dynamodb.run_task.intake.accept` and answered at once, as HCP Terraform wants
(https://developer.hashicorp.com/terraform/cloud-docs/api-docs/run-tasks/run-tasks-integration#run-task-request);
accepted work runs on a daemon thread (at most :data:`WORKERS` at a time), so that stopping the
server never waits on a review. ``GET /healthz`` answers 200. One line per request goes to
stderr (task_result_id, run_id, status): never the token, never a plan value.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from lambda_dynamodb.run_task import worker
from lambda_dynamodb.run_task.intake import accept
from lambda_dynamodb.run_task.protocol import SIGNATURE_HEADER
from lambda_dynamodb.run_task.settings import RunTaskSettings
from lambda_dynamodb.run_task.store import MemoryStore, TaskStore

#: A run task request is a few KB; anything far larger is not one.
BODY_LIMIT_BYTES = 5 * 1024 * 1024
WORKERS = 8


class RunTaskServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], settings: RunTaskSettings, store: TaskStore, log: TextIO) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.settings = settings
        self.store = store
        self.log = log
        self.slots = threading.BoundedSemaphore(WORKERS)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"

    def submit(self, request: Any, received_at: float) -> threading.Thread:
        def work() -> None:
            with self.slots:
                try:
                    worker.process(request, self.settings, self.store, received_at=received_at, log=self.log)
                except Exception as error:  # the worker reports its own failures; this is a last resort
                    print(f"run-task task_result_id={request.task_result_id}: worker stopped: {type(error).__name__}", file=self.log, flush=True)

        thread = threading.Thread(target=work, name=f"run-task-{request.task_result_id}", daemon=True)
        thread.start()
        return thread


def make_server(host: str, port: int, settings: RunTaskSettings, store: TaskStore | None = None, log: TextIO | None = None) -> RunTaskServer:
    """A bound server (``port`` 0: any free port, see :attr:`RunTaskServer.url`); call ``serve_forever``."""
    return RunTaskServer((host, port), settings, store if store is not None else MemoryStore(), log or sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server: RunTaskServer
    protocol_version = "HTTP/1.1"
    server_version = "lambda-dynamodb-run-task"
    #: Seconds a connection may sit idle (a client that never sends its body holds no thread for long).
    timeout = 30

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?", 1)[0] == "/healthz":
            self._answer(HTTPStatus.OK, "ok")
        else:
            self._answer(HTTPStatus.NOT_FOUND, "not found: POST a run task request, or GET /healthz")

    def do_POST(self) -> None:  # noqa: N802
        received_at = time.time()
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self._answer(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length (chunked bodies are not read)", close=True)
            return
        try:
            length = int(length_text) if length_text is not None else 0
        except ValueError:
            self._answer(HTTPStatus.BAD_REQUEST, f"Content-Length {length_text!r} is not a number", close=True)
            return
        if length < 0 or length > BODY_LIMIT_BYTES:
            # Refused from its length, before it is read: an oversized body is never held in memory.
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is {length} bytes: a run task request is at most {BODY_LIMIT_BYTES}", close=True)
            return
        body = self.rfile.read(length)
        answer = accept(body, self.headers.get(SIGNATURE_HEADER), self.server.settings, self.server.store)
        request = answer.request
        logged = f"task_result_id={request.task_result_id} run_id={request.run_id} accepted" if request else answer.text
        self._answer(HTTPStatus(answer.status), answer.text, logged=logged)
        if request is not None:
            self.server.submit(request, received_at)

    def _answer(self, status: HTTPStatus, text: str, *, close: bool = False, logged: str | None = None) -> None:
        """Answer ``text``, and log one line (``logged``, else the answer itself)."""
        data = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        self._log_line(int(status), text if logged is None else logged)

    def _log_line(self, status: int, text: str) -> None:
        line = f"run-task {self.command} {self.path.split('?', 1)[0]} {status}"
        print(f"{line} {text}".rstrip(), file=self.server.log, flush=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request is written by _log_line (the default would log every header line's errors)
