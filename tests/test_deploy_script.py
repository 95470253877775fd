"""`make deploy` / `make destroy` end to end (`python -m tools.deploy` with the cdktf CLI), and its failures."""

from __future__ import annotations

import ast
import filecmp
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import deploy
from tools import emulator
from tools.stacks import StackError, local_states, synthesized_stacks
import main

from conftest import PROJECT_DIR, emulator_client

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

DEPLOY = [sys.executable, "-m", "tools.deploy"]


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
    for stage in ("synthesize the app", "start the local AWS emulator", "deploy lambda-dynamodb with cdktf", "smoke test the deployed functions"):
        assert f"==> {stage}" in output
    assert "ok  refuse to overwrite it" in output
    assert "policy_arn      arn:aws:iam::123456789012:policy/MyLambdaPolicy" in output
    assert '"Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/MyLambdaFunction:*"' in output
    assert "deployed lambda-dynamodb to the local emulator at http://127.0.0.1:" in output
    assert "6 resources, 6 smoke checks passed" in output
    assert (tmp_path / "terraform.lambda-dynamodb.tfstate").exists(), "state must live beside cdktf.out, not in it"

    # An update is planned first, and refused if AWS would refuse it (lambda_dynamodb.review.aws_checks).
    updated = run(["deploy", "--outdir", outdir], {**isolated, "LAMBDA_DYNAMODB_LOG_RETENTION_DAYS": "731"})
    output = updated.stdout + updated.stderr
    assert updated.returncode == 0, output
    assert "==> check the update for what AWS would refuse (terraform plan)" in output
    assert "nothing in the update of lambda-dynamodb that AWS would refuse" in output

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
    result = run(["deploy", "--target", "aws", "--outdir", str(tmp_path / "cdktf.out")], env)
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



# --- the stacks come from what the app synthesized (tools/stacks.py), never from a name ------------


def fake_output(outdir: Path, stacks: dict[str, dict]) -> Path:
    """``outdir`` as CDKTF writes it: manifest.json listing ``stacks`` (name -> its cdk.tf.json)."""
    manifest: dict = {"version": "0.21.0", "stacks": {}}
    outdir.mkdir(parents=True, exist_ok=True)
    for name, config in stacks.items():
        (outdir / "stacks" / name).mkdir(parents=True)
        (outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps(config))
        manifest["stacks"][name] = {"name": name, "workingDirectory": f"stacks/{name}", "synthesizedStackPath": f"stacks/{name}/cdk.tf.json"}
    (outdir / "manifest.json").write_text(json.dumps(manifest))
    return outdir


def test_stacks_are_the_ones_the_manifest_lists(tmp_path: Path) -> None:
    outdir = fake_output(tmp_path / "out", {"billing": {}, "billing-eu": {}})
    assert [(s.name, s.directory) for s in synthesized_stacks(outdir)] == [
        ("billing", outdir / "stacks" / "billing"),
        ("billing-eu", outdir / "stacks" / "billing-eu"),
    ]


def test_a_stacks_state_is_the_file_its_local_backend_names(tmp_path: Path) -> None:
    outdir = fake_output(tmp_path / "out", {"billing": {"terraform": {"backend": {"local": {"path": "../../../terraform.billing.tfstate"}}}}})
    assert deploy.state_file(outdir) == (tmp_path / "terraform.billing.tfstate").resolve()


def test_a_stack_with_a_remote_backend_has_no_local_state(tmp_path: Path) -> None:
    outdir = fake_output(tmp_path / "out", {"billing": {"terraform": {"backend": {"s3": {"bucket": "b", "key": "k"}}}}})
    assert local_states(synthesized_stacks(outdir)) == []


def test_a_stacks_region_is_its_providers(tmp_path: Path) -> None:
    outdir = fake_output(tmp_path / "out", {"billing": {"provider": {"aws": [{"region": "us-east-2"}]}}})
    assert synthesized_stacks(outdir)[0].region == "us-east-2"


def test_an_output_folder_without_a_manifest_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(StackError) as error:
        synthesized_stacks(tmp_path / "out")
    assert str(error.value) == f"{tmp_path / 'out' / 'manifest.json'} is missing: nothing was synthesized into {tmp_path / 'out'} (synthesize the app first: make synth)"


def test_a_manifest_without_stacks_is_a_named_error(tmp_path: Path) -> None:
    outdir = fake_output(tmp_path / "out", {})
    with pytest.raises(StackError, match="lists no stack: the app synthesized none"):
        synthesized_stacks(outdir)


def test_the_run_book_names_no_stack_of_the_app() -> None:
    """`make deploy` deploys what the app synthesized: no tool of the run-book spells the sample's
    stack (``"lambda-dynamodb"``, its folder or its state file) as a value."""
    stack_name = re.compile(r"^lambda-dynamodb$|stacks/lambda-dynamodb|terraform\.lambda-dynamodb\.tfstate")
    named = [
        f"{path.name}:{node.lineno}"
        for path in sorted((PROJECT_DIR / "tools").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and stack_name.search(node.value)
    ]
    assert named == []
