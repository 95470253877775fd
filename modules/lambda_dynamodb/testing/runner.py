"""Run a function's handler from its unpacked package, with IAM enforced on its calls.

    python -P -m lambda_dynamodb.testing.runner REQUEST.json RESULT.json

REQUEST: {"code_dir", "handler", "events", "policies": [[name, document], ...], "principal",
"account", "function": {"name", "arn", "memory_mb", "timeout_seconds"}}.
RESULT: {"answers": [...], "errors": [...], "calls": [...], "denials": [...], "modules": {name: file}}.

Lambda invocation needs Docker, which emulators' machines often lack, so the handler runs here,
in a process of its own (:mod:`.invoke` starts it). Like Lambda, the code folder comes first on
``sys.path`` (the caller sets ``PYTHONPATH`` to it; ``-P``: Python adds no folder of its own before
it): the handler and the
dependencies packaged with it are imported from the package; what Lambda's runtime provides
itself (boto3) comes from this environment when the package does not carry it. Every AWS call
goes through :mod:`.enforcer`. A handler that raises answers as Lambda does: an error payload
(``errorMessage``, ``errorType``, ``stackTrace``), and the next event still runs.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class LambdaContext:
    """What Lambda passes a Python handler as ``context`` (the fields its runtime sets)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def error_payload(error: BaseException) -> dict[str, Any]:
    """What Lambda answers for a handler that raised (its Python runtime's format)."""
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": [f'  File "{f.filename}", line {f.lineno}, in {f.name}\n    {f.line}\n' for f in frames],
    }


def main(request_path: str, result_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    # The code folder is already first on sys.path: the caller sets PYTHONPATH to it (invoke.py).
    import importlib

    import boto3

    from lambda_dynamodb.testing.enforcer import Enforcer, Policies

    enforcer = Enforcer(Policies([tuple(p) for p in request["policies"]]), request["principal"], request["account"])
    # Every session: the default one (boto3.client, boto3.resource) and any the code makes itself.
    enforcer.install_everywhere()
    boto3.setup_default_session()
    function = request["function"]
    context = {"function_name": function["name"], "invoked_function_arn": function["arn"]}
    context |= {"memory_limit_in_mb": function["memory_mb"], "timeout_seconds": function["timeout_seconds"]}
    answers: list[Any] = []
    errors: list[dict[str, Any]] = []
    try:
        module_name, function_name = request["handler"].rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # Lambda's Runtime.ImportModuleError / init error: every event fails
        failure = {**error_payload(error), "errorType": f"Runtime.{type(error).__name__}"}
        answers = [failure for _ in request["events"]]
        errors = [{**failure, "event": index} for index in range(len(request["events"]))]
    else:
        for index, event in enumerate(request["events"]):
            try:
                answers.append(handler(event, LambdaContext(**context)))
            except Exception as error:
                answers.append(error_payload(error))
                errors.append({**answers[-1], "event": index})
    result = {
        "answers": answers,
        "errors": errors,
        "calls": [call.as_dict() for call in enforcer.calls],
        "denials": [enforcer.message(call) for call in enforcer.denied()],
        "modules": {name: getattr(module, "__file__", None) for name, module in sorted(sys.modules.items()) if module},
    }
    Path(result_path).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
