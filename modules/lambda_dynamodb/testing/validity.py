"""Is a synthesized stack valid Terraform? ``terraform init`` + ``validate``, with reasons when not.

Replaces CDKTF's ``Testing.to_be_valid_terraform``, which answers a bare ``False`` (a bare
``assert False`` in a test) whatever went wrong, and fails offline because ``init`` asks the
registry for the providers. Here ``init`` uses the Terraform CLI configuration of
:mod:`.terraform_cli` (the offline provider mirror when one is present), runs in a copy of the
stack folder (nothing is written into ``cdktf.out``), and each way of failing says what to do:
Terraform missing (how to install it), ``init`` failing (its reason, and where providers come
from), ``validate`` finding errors (each diagnostic with its file and line).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from lambda_dynamodb.testing.terraform_cli import MIRROR, TerraformMissing, has_mirror, terraform_binary, terraform_env

TERRAFORM_TIMEOUT_SECONDS = 600


class TerraformInvalid(AssertionError):
    """The stack is not valid Terraform, or Terraform could not tell (the message says which)."""


def assert_valid_terraform(stack_dir: Path, cli_config: Path | None = None) -> dict[str, Any]:
    """``terraform init -backend=false`` and ``validate`` on a copy of ``stack_dir``; returns validate's JSON.

    ``cli_config``: a Terraform CLI configuration file (the plugin's ``terraform_cli_config``
    fixture); by default one is written for this run (the mirror when present).
    """
    stack_dir = Path(stack_dir)
    if not (stack_dir / "cdk.tf.json").is_file():
        raise TerraformInvalid(f"{stack_dir} is not a synthesized stack: it has no cdk.tf.json")
    try:
        binary = terraform_binary()
    except TerraformMissing as error:
        raise TerraformInvalid(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="lambda-dynamodb-validate-") as work:
        copy = Path(work) / stack_dir.name
        shutil.copytree(stack_dir, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
        env = terraform_env(Path(work) / "terraform.rc")
        if cli_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(cli_config)
        init = _terraform(binary, ["init", "-backend=false", "-input=false", "-no-color"], copy, env)
        if init.returncode != 0:
            raise TerraformInvalid(f"terraform init failed in a copy of {stack_dir}:\n{_tail(init)}\n{_provider_hint()}")
        validate = _terraform(binary, ["validate", "-json", "-no-color"], copy, env)
    try:
        result: dict[str, Any] = json.loads(validate.stdout)
    except json.JSONDecodeError:
        raise TerraformInvalid(f"terraform validate gave no JSON for {stack_dir}:\n{_tail(validate)}") from None
    if not result.get("valid"):
        diagnostics = "\n".join(describe(d) for d in result.get("diagnostics", []))
        errors = int(result.get("error_count", 0))
        raise TerraformInvalid(f"{stack_dir / 'cdk.tf.json'} is not valid Terraform ({errors} error{'' if errors == 1 else 's'}):\n{diagnostics}")
    return result


def describe(diagnostic: dict[str, Any]) -> str:
    """One diagnostic of ``terraform validate -json``: severity, where, summary and detail."""
    where = diagnostic.get("range") or {}
    at = f" ({where.get('filename')}:{where.get('start', {}).get('line')})" if where else ""
    address = f" [{diagnostic['address']}]" if diagnostic.get("address") else ""
    detail = f": {diagnostic['detail']}" if diagnostic.get("detail") else ""
    return f"{diagnostic.get('severity', 'error')}{at}{address}: {diagnostic.get('summary', '')}{detail}"


def _provider_hint() -> str:
    if has_mirror():
        return f"Providers come from the offline mirror {MIRROR}: does it hold the provider and version the stack requires?"
    return (
        f"No provider mirror at {MIRROR} (set TF_PROVIDER_MIRROR to use another): Terraform asked the registry "
        "(registry.terraform.io). Offline, fill a mirror once with `terraform providers mirror DIR` and point TF_PROVIDER_MIRROR at it."
    )


def _terraform(binary: str, args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TERRAFORM_TIMEOUT_SECONDS)


def _tail(run: subprocess.CompletedProcess[str]) -> str:
    return (run.stdout[-2000:] + run.stderr[-3000:]).strip()
