"""The run task as the real command: `lambda-dynamodb run-task serve --port 0` in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def run_task_server(
    tfc_address: str,
    *,
    hmac_key: str | None = None,
    plan_wait_seconds: float | None = None,
    poll_interval_seconds: float | None = None,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[str]:
    """``lambda-dynamodb run-task serve --port 0 --tfc-address TFC_ADDRESS`` in a subprocess; yields
    ``http://HOST:PORT/`` from its ``listening on ...`` line. Its stderr goes to ``log`` (or a
    temporary file), and its tail is in the error when the command does not start."""
    command = Path(sys.executable).parent / "lambda-dynamodb"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_RUN_TASK_")}
    if hmac_key is not None:
        environ["LAMBDA_DYNAMODB_RUN_TASK_HMAC_KEY"] = hmac_key
    if plan_wait_seconds is not None:
        environ["LAMBDA_DYNAMODB_RUN_TASK_PLAN_WAIT_SECONDS"] = str(plan_wait_seconds)
    if poll_interval_seconds is not None:
        environ["LAMBDA_DYNAMODB_RUN_TASK_POLL_SECONDS"] = str(poll_interval_seconds)
    environ.update(env or {})
    with ExitStack() as stack:
        errors = stack.enter_context(open(log, "w+") if log else tempfile.TemporaryFile("w+"))
        process = subprocess.Popen(
            [str(command), "run-task", "serve", "--host", "127.0.0.1", "--port", "0", "--tfc-address", tfc_address],
            stdout=subprocess.PIPE, stderr=errors, text=True, env=environ,
        )
        try:
            yield _listening_url(process, errors)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _listening_url(process: subprocess.Popen[str], errors: IO[str], timeout: float = 60) -> str:
    assert process.stdout is not None
    stdout = process.stdout
    found: list[str] = []
    listening = threading.Event()

    def read() -> None:
        # Reads to the end, so that the command never blocks on a full pipe.
        for line in stdout:
            if not found and (match := re.search(r"listening on (http://\S+)", line)):
                found.append(match[1].rstrip("/") + "/")
                listening.set()
        listening.set()

    threading.Thread(target=read, daemon=True).start()
    listening.wait(timeout)
    if not found:
        process.kill()
        process.wait()
        errors.seek(0)
        raise AssertionError(
            f"lambda-dynamodb run-task serve printed no 'listening on http://HOST:PORT' (waited up to {timeout} s) "
            f"(exit code {process.returncode}); its stderr ends:\n{errors.read()[-3000:]}"
        )
    return found[0]
