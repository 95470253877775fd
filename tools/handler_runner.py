"""Run a deployed function's handler from its unpacked code, with IAM enforced on its calls.

    python tools/handler_runner.py REQUEST.json RESULT.json

REQUEST: {"code_dir", "handler", "events", "policies": [[name, document], ...], "principal",
"account"}. RESULT: {"answers": [...], "calls": [...], "modules": {name: file}}.

Lambda invocation needs Docker, which the emulator's machines lack, so the smoke test runs the
handler here, in a process of its own. Like Lambda, the code folder comes first on
``sys.path``: the handler and the dependencies packaged with it are imported from the zip that
was deployed; what Lambda's runtime provides itself (boto3) comes from this environment when
the zip does not carry it. Every AWS call goes through :mod:`iam_enforcer`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent


def main(request_path: str, result_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    # Before anything else is imported: the code's own modules win, as in Lambda; this tool's
    # folder (Python put it first) goes last, so none of its modules can shadow the code's.
    others = [entry for entry in sys.path if Path(entry or ".").resolve() != TOOLS_DIR]
    sys.path[:] = [request["code_dir"], *others, str(TOOLS_DIR)]
    import importlib

    import boto3
    from iam_enforcer import Enforcer, Policies

    enforcer = Enforcer(Policies([tuple(p) for p in request["policies"]]), request["principal"], request["account"])
    boto3.setup_default_session()
    enforcer.install(boto3.DEFAULT_SESSION)
    module_name, function_name = request["handler"].rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    answers = [handler(event, None) for event in request["events"]]
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
