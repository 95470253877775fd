"""`make deploy` / `make destroy` end to end (tools/deploy.py with the cdktf CLI), and its failures."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import deploy
from tools import emulator
import main

from conftest import PROJECT_DIR, emulator_client

DEPLOY = [sys.executable, str(PROJECT_DIR / "tools" / "deploy.py")]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(DEPLOY + args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture()
def isolated(tmp_path: Path) -> dict[str, str]:
    """An environment whose emulator state, output folder and Terraform state all live in tmp_path."""
    if not deploy.CDKTF.exists():
        pytest.fail(f"the cdktf CLI is missing at {deploy.CDKTF}: `make test` installs it with npm ci")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_DYNAMODB_", "EMULATOR_"))}
    env["LAMBDA_DYNAMODB_STATE_DIR"] = str(tmp_path / "state")
    return env


def test_deploy_update_then_destroy(isolated: dict[str, str], tmp_path: Path) -> None:
    outdir = str(tmp_path / "cdktf.out")
    deployed = run(["deploy", "--outdir", outdir], isolated)
    output = deployed.stdout + deployed.stderr
    assert deployed.returncode == 0, output
    for stage in ("start the local AWS emulator", "synthesize and deploy with cdktf", "smoke test the deployed function"):
        assert f"==> {stage}" in output
    assert "ok  refuse to overwrite it" in output
    assert "policy_arn      arn:aws:iam::123456789012:policy/MyLambdaPolicy" in output
    assert '"Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/MyLambdaFunction:*"' in output
    assert "deployed lambda-dynamodb to the local emulator at http://127.0.0.1:" in output
    assert "6 resources, 6 smoke checks passed" in output
    assert (tmp_path / "terraform.lambda-dynamodb.tfstate").exists(), "state must live beside cdktf.out, not in it"

    # An update is planned first, and refused if AWS would refuse it (tools/plan_checks.py).
    updated = run(["deploy", "--outdir", outdir], {**isolated, "LAMBDA_DYNAMODB_LOG_RETENTION_DAYS": "731"})
    output = updated.stdout + updated.stderr
    assert updated.returncode == 0, output
    assert "==> check the update for what AWS would refuse (terraform plan)" in output
    assert "nothing in the update that AWS would refuse" in output

    destroyed = run(["destroy", "--outdir", outdir], isolated)
    output = destroyed.stdout + destroyed.stderr
    assert destroyed.returncode == 0, output
    assert "deletion protection of table SampleTable turned OFF explicitly" in output
    assert "Destroy complete! Resources: 6 destroyed." in output
    assert "stopped the emulator at http://127.0.0.1:" in output
    assert emulator.current(tmp_path / "state") is None
    assert not (tmp_path / "terraform.lambda-dynamodb.tfstate").exists()


def test_failed_apply_shows_terraforms_error_and_fails(isolated: dict[str, str], tmp_path: Path) -> None:
    running, _ = emulator.start(state_dir=tmp_path / "state")
    try:
        dynamodb = emulator_client(running.environment(), "dynamodb")
        dynamodb.create_table(  # squats the name: Terraform's CreateTable must fail
            TableName="SampleTable",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        result = run(["deploy", "--outdir", str(tmp_path / "cdktf.out")], isolated)
    finally:
        emulator.stop(state_dir=tmp_path / "state")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "ResourceInUseException" in output or "already exists" in output, output
    assert "error: cdktf deploy failed" in result.stderr


def test_missing_terraform_is_a_clear_error_and_starts_nothing(isolated: dict[str, str], tmp_path: Path) -> None:
    result = run(["deploy"], {**isolated, "PATH": str(tmp_path / "empty")})
    assert result.returncode == 1
    assert "error: terraform was not found on PATH" in result.stderr
    assert not (tmp_path / "state" / "emulator.json").exists()


def test_aws_target_without_credentials_is_refused(isolated: dict[str, str], tmp_path: Path) -> None:
    env = {
        **isolated,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = run(["deploy", "--target", "aws"], env)
    assert result.returncode == 1
    assert "error: TARGET=aws needs AWS credentials and none were found" in result.stderr


def test_missing_cdktf_cli_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(deploy, "CDKTF", tmp_path / "no-cdktf")
    monkeypatch.setenv("LAMBDA_DYNAMODB_STATE_DIR", str(tmp_path / "state"))  # its lock too: not the project's .state/
    assert deploy.main(["deploy", "--outdir", str(tmp_path / "out")]) == 1
    assert "the cdktf CLI is not installed" in capsys.readouterr().err


def test_synthesized_json_does_not_depend_on_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = main.app_settings(main.load_context(), {})
    main.build_app(settings, tmp_path / "aws").synth()
    for name, value in emulator.Emulator(port=4566, pid=1).environment().items():
        monkeypatch.setenv(name, value)
    main.build_app(settings, tmp_path / "local").synth()
    stack = Path("stacks") / main.STACK_NAME / "cdk.tf.json"
    assert filecmp.cmp(tmp_path / "aws" / stack, tmp_path / "local" / stack, shallow=False)

