"""A function's handler, run from its package (the zip), in a process of its own, IAM enforced.

:func:`run_package` unpacks the zip, starts :mod:`.runner` with the function's environment
(its variables, Lambda's own, and the AWS settings of where its calls go) and reads back what
happened: an :class:`Invocation`. Used by the plugin (against an emulator, the synthesized
policy enforced) and by the deploy smoke test (the deployed policy, read back from IAM).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_dynamodb.testing.enforcer import Policies

#: Seconds a run may take beyond its events' timeouts (the interpreter's start, the imports).
START_SECONDS = 120


class InvocationFailed(AssertionError):
    """The handler's process itself failed (not the handler: its errors are answers)."""


@dataclass(frozen=True)
class FunctionIdentity:
    """Who runs: the function's name and ARN, its role's principal, its memory and timeout."""

    name: str
    arn: str
    principal: str
    account: str
    memory_mb: int
    timeout_seconds: int


@dataclass(frozen=True)
class Invocation:
    """What one run of a function on a list of events did."""

    #: One per event: what the handler returned, or Lambda's error payload when it raised.
    answers: list[Any]
    #: The error payloads (``errorMessage``, ``errorType``, ``stackTrace``, ``event``: its index).
    errors: list[dict[str, Any]]
    #: Every (action, resource) IAM evaluated: ``{"operation", "action", "resource", "allowed"}``.
    calls: list[dict[str, Any]]
    #: AWS's AccessDenied message of each refused call, in order.
    denials: list[str]
    #: The process's output (the handler's logs).
    logs: str
    #: The top-level modules the handler imported from the package.
    packaged: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[tuple[str, str]]:
        """(action, resource) of every call, in order."""
        return [(c["action"], c["resource"]) for c in self.calls]


def run_package(
    package: Path,
    handler: str,
    events: Sequence[Any],
    policies: Policies,
    function: FunctionIdentity,
    environment: Mapping[str, str],
) -> Invocation:
    """``handler`` from ``package`` on each event, as ``function``, with ``policies`` enforced.

    ``environment``: the function's variables and where its AWS calls go (``AWS_ENDPOINT_URL``,
    credentials, region); the process inherits nothing else of this one's ``AWS_*`` settings.
    """
    with tempfile.TemporaryDirectory(prefix="lambda-dynamodb-run-") as work:
        code_dir = Path(work) / "code"
        with zipfile.ZipFile(package) as bundle:
            bundle.extractall(code_dir)
        request = {
            "code_dir": str(code_dir),
            "handler": handler,
            "events": list(events),
            "policies": [list(p) for p in policies.documents],
            "principal": function.principal,
            "account": function.account,
            "function": {"name": function.name, "arn": function.arn, "memory_mb": function.memory_mb, "timeout_seconds": function.timeout_seconds},
        }
        (Path(work) / "request.json").write_text(json.dumps(request))
        env = _environment(code_dir, handler, function, environment)
        command = _runner_command(code_dir, env, f"{work}/request.json", f"{work}/result.json")
        limit = START_SECONDS + function.timeout_seconds * max(1, len(events))
        run = subprocess.run(command, cwd=code_dir, env=env, capture_output=True, text=True, timeout=limit)
        if run.returncode != 0 or not (Path(work) / "result.json").is_file():
            raise InvocationFailed(f"the handler from {package} failed to run (exit {run.returncode}):\n{run.stderr[-3000:]}")
        result = json.loads((Path(work) / "result.json").read_text())
        packaged = packaged_modules(code_dir, result["modules"])
    return Invocation(result["answers"], result["errors"], result["calls"], result["denials"], run.stdout + run.stderr, packaged)


#: For a package that carries its own ``lambda_dynamodb`` (the run task's Lambda zip): the runner
#: and the enforcer are imported from this environment first, then every other module of that
#: name is forgotten and the code folder goes first on sys.path, so that the handler imports the
#: package's copy, as Lambda would. (``-m lambda_dynamodb.testing.runner`` would find the
#: package's copy first, which has no testing plugin.)
SHADOWED_BOOTSTRAP = """
import sys
code_dir, request, result = sys.argv[1:4]
from lambda_dynamodb.testing import enforcer, runner
for name in [n for n in sys.modules if n.split(".")[0] == "lambda_dynamodb" and n != "lambda_dynamodb.testing.enforcer"]:
    del sys.modules[name]
sys.path.insert(0, code_dir)
sys.exit(runner.main(request, result))
"""


def _runner_command(code_dir: Path, env: dict[str, str], request: str, result: str) -> list[str]:
    if not (code_dir / "lambda_dynamodb").is_dir():
        return [sys.executable, "-P", "-m", "lambda_dynamodb.testing.runner", request, result]
    env.pop("PYTHONPATH")  # the bootstrap puts the code folder first itself, once the runner is loaded
    return [sys.executable, "-P", "-c", SHADOWED_BOOTSTRAP, str(code_dir), request, result]


def _environment(code_dir: Path, handler: str, function: FunctionIdentity, environment: Mapping[str, str]) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # What Lambda's runtime sets for every function (the ones a handler or a library reads).
    region = environment.get("AWS_REGION") or environment.get("AWS_DEFAULT_REGION") or "us-east-1"
    lambda_env = {
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": handler,
        # As in Lambda, the task root is first on sys.path (ahead of the standard library too);
        # an inherited PYTHONPATH would put this machine's folders before the package.
        "PYTHONPATH": str(code_dir),
    }
    return {**inherited, **environment, **lambda_env}


def packaged_modules(code_dir: Path, modules: Mapping[str, str | None]) -> list[str]:
    """The top-level modules the handler imported from the package; none may come from elsewhere."""
    packaged = {path.name.removesuffix(".py") for path in code_dir.iterdir() if not path.name.endswith(".dist-info")}
    # A top-level module's file says where its package came from (the runner's own
    # lambda_dynamodb.testing.enforcer stays loaded from this environment beside a packaged copy).
    imported = {name: path for name, path in modules.items() if path and "." not in name}
    strays = sorted(name for name, path in imported.items() if name in packaged and not path.startswith(str(code_dir)))
    if strays:
        raise InvocationFailed(f"{', '.join(strays)} came from this environment, not from the package")
    return sorted(name for name in imported if name in packaged)
