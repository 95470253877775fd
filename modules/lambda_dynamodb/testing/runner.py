"""Run a deployed function's handler from its unpacked code, with IAM enforced on its calls.

    python tools/handler_runner.py REQUEST.json RESULT.json

REQUEST: {"code_dir", "handler", "events", "policies": [[name, document], ...], "principal",
"account", "function": {"name", "arn", "memory_mb", "timeout_seconds"}}.
RESULT: {"answers": [...], "calls": [...], "denials": [...], "modules": {name: file}}.

Lambda invocation needs Docker, which the emulator's machines lack, so the smoke test runs the
handler here, in a process of its own. Like Lambda, the code folder comes first on
``sys.path``: the handler and the dependencies packaged with it are imported from the zip that
was deployed; what Lambda's runtime provides itself (boto3) comes from this environment when
the zip does not carry it. Every AWS call goes through :mod:`iam_enforcer`.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent


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


def main(request_path: str, result_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    # Before anything else is imported: the code's own modules win, as in Lambda; this tool's
    # folder (Python put it first) goes last, so none of its modules can shadow the code's.
    others = [entry for entry in sys.path if Path(entry or ".").resolve() != TOOLS_DIR]
    sys.path[:] = [request["code_dir"], *others, str(TOOLS_DIR)]
    import importlib

    import boto3
    from lambda_dynamodb.testing.enforcer import Enforcer, Policies

    enforcer = Enforcer(Policies([tuple(p) for p in request["policies"]]), request["principal"], request["account"])
    boto3.setup_default_session()
    enforcer.install(boto3.DEFAULT_SESSION)
    module_name, function_name = request["handler"].rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    function = request["function"]
    context = {"function_name": function["name"], "invoked_function_arn": function["arn"]}
    context |= {"memory_limit_in_mb": function["memory_mb"], "timeout_seconds": function["timeout_seconds"]}
    answers = [handler(event, LambdaContext(**context)) for event in request["events"]]
    result = {
        "answers": answers,
        "calls": [call.as_dict() for call in enforcer.calls],
        "denials": [enforcer.message(call) for call in enforcer.denied()],
        "modules": {name: getattr(module, "__file__", None) for name, module in sorted(sys.modules.items()) if module},
    }
    Path(result_path).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
