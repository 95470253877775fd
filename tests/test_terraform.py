"""Terraform itself initializes and validates the synthesized JSON (offline provider mirror)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

from lambda_dynamodb.testing.terraform_cli import TerraformMissing, has_mirror, terraform_binary, terraform_env

from lambda_dynamodb import FunctionSettings, LambdaDynamoDb, RoleSettings, Runtime, TableSettings

from conftest import PROJECT_DIR, module_settings, synth_stack

pytestmark = pytest.mark.terraform


def terraform(args: list[str], cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    try:
        binary = terraform_binary()
    except TerraformMissing as error:
        pytest.fail(str(error))
    return subprocess.run([binary, *args], cwd=cwd, env=terraform_env(config), capture_output=True, text=True, timeout=300)


def init_and_validate(stack_dir: Path, config: Path) -> subprocess.CompletedProcess[str]:
    init = terraform(["init", "-backend=false", "-input=false", "-no-color"], stack_dir, config)
    assert init.returncode == 0, (
        "terraform init failed: is the AWS provider 5.100.0 in the mirror (/opt/tf-plugins) or the registry reachable?\n"
        + init.stdout
        + init.stderr
    )
    return terraform(["validate", "-no-color", "-json"], stack_dir, config)


def test_mirror_config_is_used_when_the_mirror_exists(tmp_path: Path) -> None:
    from lambda_dynamodb.testing.terraform_cli import write_cli_config

    text = write_cli_config(tmp_path / "rc").read_text()
    assert ("filesystem_mirror" in text) == has_mirror()


def test_registry_is_the_fallback_without_a_mirror(tmp_path: Path) -> None:
    from lambda_dynamodb.testing.terraform_cli import cli_config

    assert "filesystem_mirror" not in cli_config(tmp_path / "no-mirror")


def test_app_stack_validates(app_stack_dir: Path, tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(app_stack_dir, stack)
    result = init_and_validate(stack, tmp_path / "terraform.rc")
    assert result.returncode == 0 and '"valid": true' in result.stdout, result.stdout + result.stderr


def test_every_supported_runtime_is_accepted_by_the_provider(tmp_path: Path) -> None:
    """One function per runtime of the Runtime enum, validated against the pinned provider."""

    def one_function_per_runtime(stack: Any) -> None:
        for index, runtime in enumerate(Runtime):
            handler = "handler.handler" if runtime.language == "python" else "index.handler"
            LambdaDynamoDb(
                stack,
                f"m{index}",
                module_settings(
                    table=TableSettings(name=f"Table{index}"),
                    function=FunctionSettings(name=f"fn{index}", source_dir=_code_dir(tmp_path, runtime), handler=handler, runtime=runtime),
                    role=RoleSettings(name=f"role{index}", policy_name=f"policy{index}"),
                    check_code=runtime.language == "python",
                ),
            )

    doc = synth_stack(tmp_path / "out", one_function_per_runtime)
    runtimes = {f["runtime"] for f in doc["resource"][LambdaFunction.TF_RESOURCE_TYPE].values()}
    assert runtimes == {r.value for r in Runtime}
    result = init_and_validate(tmp_path / "out" / "stacks" / "test", tmp_path / "terraform.rc")
    assert result.returncode == 0 and '"valid": true' in result.stdout, result.stdout + result.stderr


def _code_dir(tmp_path: Path, runtime: Runtime) -> Path:
    if runtime.language == "python":
        return PROJECT_DIR / "lambda"
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "index.js").write_text("exports.handler = async () => ({ ok: true });\n")
    return code
