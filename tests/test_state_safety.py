"""The state is never deleted by a tool, and one command at a time holds it (issue 20, items 1 and 7).

Every check runs `python -m tools.deploy` or `-m tools.plan` as `make` does (from the project
folder, which puts the ``tools`` package on the path), in a process of its own whose
state folder, output folder and Terraform state live in tmp_path. Where Terraform's part does not
matter, the cdktf call is replaced in that process (``run_patched``): no apply, a few seconds each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from tools import emulator
from conftest import PROJECT_DIR, emulator_client
import test_deploy_script
from test_deploy_script import run

pytestmark = pytest.mark.emulator

#: The fixture of test_deploy_script.py (an environment whose state lives in tmp_path), used here too.
isolated = test_deploy_script.isolated

PLAN = [sys.executable, "-m", "tools.plan"]
STATE = "terraform.lambda-dynamodb.tfstate"
AWS_ACCOUNT = "111122223333"


def write_state(directory: Path, account: str, *, marker: str | None = None, backup: bool = True) -> list[Path]:
    """A Terraform state beside ``directory/cdktf.out`` recording a table in ``account``
    (moto's 123456789012 is the emulator's), its backup, and optionally the target marker."""
    state = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 3,
        "lineage": "test",
        "outputs": {"table_name": {"value": "SampleTable", "type": "string"}},
        "resources": [
            {"mode": "data", "type": "aws_caller_identity", "name": "current", "provider": "p", "instances": [{"attributes": {"account_id": account}}]},
            {
                "mode": "managed",
                "type": "aws_dynamodb_table",
                "name": "module_table",
                "provider": "p",
                "instances": [{"attributes": {"arn": f"arn:aws:dynamodb:eu-west-1:{account}:table/SampleTable", "name": "SampleTable"}}],
            },
        ],
    }
    files = [directory / STATE]
    files[0].write_text(json.dumps(state))
    if backup:
        files.append(directory / f"{STATE}.backup")
        files[-1].write_text(json.dumps({**state, "serial": 2}))
    if marker is not None:
        (directory / "state").mkdir(exist_ok=True)
        files.append(directory / "state" / "deployed-target")
        files[-1].write_text(marker)
    return files


def contents(files: list[Path]) -> dict[Path, str]:
    return {path: path.read_text() for path in files}


def run_patched(prelude: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m tools.deploy` ``args`` in a process of its own (from the project folder), after
    ``prelude`` (Python, with ``deploy`` imported) replaced some of its steps."""
    code = "import sys\nfrom tools import deploy\n{prelude}\nsys.exit(deploy.main({args!r}))\n".format(prelude=textwrap.dedent(prelude), args=args)
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


# --- the state's target ------------------------------------------------------------------------


def test_local_destroy_refuses_the_state_of_an_aws_deployment(isolated: dict[str, str], tmp_path: Path) -> None:
    files = write_state(tmp_path, AWS_ACCOUNT, marker="aws")
    before = contents(files)
    for extra in ({}, {"FORCE_RESET": "1"}):
        result = run(["destroy", "--outdir", str(tmp_path / "cdktf.out")], {**isolated, **extra})
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"the state in {tmp_path / STATE} belongs to target aws; this is target local" in result.stderr
        assert "make destroy TARGET=aws CONFIRM_DELETE_TABLE=" not in result.stderr  # local's remedy is the plain one
        assert "destroy it with `make destroy TARGET=aws`" in result.stderr
        no_traceback(result)
        assert contents(files) == before, "the state, its backup and the marker must stay as they were"


def test_a_state_without_a_marker_belongs_to_the_account_of_its_arns(isolated: dict[str, str], tmp_path: Path) -> None:
    files = write_state(tmp_path, AWS_ACCOUNT)  # e.g. written before target markers existed
    result = run(["destroy", "--outdir", str(tmp_path / "cdktf.out")], isolated)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "belongs to target aws; this is target local" in result.stderr
    assert all(path.exists() for path in files)


def test_deploy_and_plan_refuse_the_other_targets_state(isolated: dict[str, str], tmp_path: Path) -> None:
    outdir = str(tmp_path / "cdktf.out")
    files = write_state(tmp_path, AWS_ACCOUNT, marker="aws")
    deployed = run(["deploy", "--outdir", outdir], isolated)
    assert deployed.returncode == 2, deployed.stdout + deployed.stderr
    assert f"the state in {tmp_path / STATE} belongs to target aws; this is target local: destroy it with `make destroy TARGET=aws` before deploying to local, or deploy with TARGET=aws" in deployed.stderr
    assert not (tmp_path / "state" / "emulator.json").exists(), "a refused deploy starts no emulator"

    planned = subprocess.run(PLAN + ["--target", "local", "--outdir", outdir, "--plan-dir", str(tmp_path / "plan")], cwd=PROJECT_DIR, env=isolated, capture_output=True, text=True, timeout=300)
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "belongs to target aws; this is target local: plan with TARGET=aws" in planned.stderr
    no_traceback(planned)

    (tmp_path / "state" / "deployed-target").write_text("local")
    to_aws = run(["deploy", "--target", "aws", "--outdir", outdir], isolated)
    assert to_aws.returncode == 2
    assert "belongs to target local; this is target aws" in to_aws.stderr
    assert all(path.exists() for path in files)


def test_an_interrupted_aws_deploy_has_already_recorded_its_target(isolated: dict[str, str], tmp_path: Path) -> None:
    """The marker is written before the apply: a deploy that dies half way leaves a state that
    a later local command refuses."""
    outdir = tmp_path / "cdktf.out"
    credentials = {**isolated, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example", "AWS_REGION": "eu-west-1"}
    write_partial(tmp_path)
    interrupted = run_patched(
        f"""
        def _cdktf(args, env):  # Terraform created the table, then the deploy was interrupted
            (deploy.Path({str(tmp_path)!r}) / "{STATE}").write_text(deploy.Path({str(tmp_path)!r}, "partial.json").read_text())
            raise KeyboardInterrupt
        deploy._cdktf = _cdktf
        """,
        ["deploy", "--target", "aws", "--outdir", str(outdir)],
        credentials,
    )
    assert interrupted.returncode != 0
    assert (tmp_path / "state" / "deployed-target").read_text().strip() == "aws"

    destroyed = run(["destroy", "--outdir", str(outdir)], isolated)
    assert destroyed.returncode == 2, destroyed.stdout + destroyed.stderr
    assert "belongs to target aws; this is target local" in destroyed.stderr
    assert (tmp_path / STATE).exists()


def write_partial(tmp_path: Path) -> None:
    """A state as an interrupted first apply leaves it (one resource, an ARN in a real account)."""
    write_state(tmp_path, AWS_ACCOUNT, backup=False)
    (tmp_path / STATE).rename(tmp_path / "partial.json")


# --- no emulator running: the state is kept --------------------------------------------------


def test_local_destroy_without_its_emulator_keeps_the_state_and_says_how_to_recover(isolated: dict[str, str], tmp_path: Path) -> None:
    files = write_state(tmp_path, emulator.ACCOUNT, marker="local")
    before = contents(files)
    result = run(["destroy", "--outdir", str(tmp_path / "cdktf.out")], isolated)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"no emulator of this project is running, but the state in {tmp_path / STATE} records 1 resources" in result.stderr
    assert "aws_dynamodb_table.module_table" in result.stderr
    assert "there is no recording to restart it from" in result.stderr
    assert "The state is kept. To start afresh, run `make destroy FORCE_RESET=1`" in result.stderr
    no_traceback(result)
    assert contents(files) == before


def test_force_reset_moves_the_state_into_a_dated_backup(isolated: dict[str, str], tmp_path: Path) -> None:
    files = write_state(tmp_path, emulator.ACCOUNT, marker="local")
    before = {path.name: text for path, text in contents(files).items()}
    mine = tmp_path / "notes.txt"
    mine.write_text("not the project's")
    started = datetime.now().replace(microsecond=0)
    result = run(["destroy", "--outdir", str(tmp_path / "cdktf.out")], {**isolated, "FORCE_RESET": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    (backup,) = (tmp_path / "state" / "backups").iterdir()
    assert datetime.strptime(backup.name, "%Y-%m-%dT%H-%M-%S") >= started
    assert {path.name: path.read_text() for path in backup.iterdir()} == before, "moved whole, nothing deleted"
    assert not any(path.exists() for path in files)
    assert f"FORCE_RESET: moved {STATE}, {STATE}.backup, deployed-target into {backup}/ (nothing was deleted)" in result.stdout
    assert mine.read_text() == "not the project's"

    again = run(["destroy", "--outdir", str(tmp_path / "cdktf.out")], isolated)
    assert again.returncode == 0, again.stdout + again.stderr  # nothing left to destroy
    assert len(list((tmp_path / "state" / "backups").iterdir())) == 1


# --- destroy with resources already gone ----------------------------------------------------------


def test_destroy_copes_with_an_emulator_whose_resources_are_gone(isolated: dict[str, str], tmp_path: Path) -> None:
    """The state records a table the (running) emulator does not hold: a clear line, then the
    destroy goes on (Terraform drops what is gone from the state)."""
    write_state(tmp_path, emulator.ACCOUNT, marker="local")
    running, _ = emulator.start(state_dir=tmp_path / "state")
    try:
        result = run_patched(
            f"""
            def _cdktf(args, env):  # terraform destroy: refresh finds everything gone
                print("cdktf", args[0], "against", env["AWS_ENDPOINT_URL"])
                deploy.Path({str(tmp_path)!r}, "{STATE}").write_text('{{"version": 4, "resources": []}}')
            deploy._cdktf = _cdktf
            """,
            ["destroy", "--outdir", str(tmp_path / "cdktf.out")],
            isolated,
        )
    finally:
        emulator.stop(state_dir=tmp_path / "state")
    no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "table SampleTable is not on the emulator any more (ResourceNotFoundException): nothing to unprotect" in result.stdout
    assert f"cdktf destroy against {running.url}" in result.stdout
    assert "destroyed lambda-dynamodb on local" in result.stdout
    assert not (tmp_path / STATE).exists(), "a state that records nothing is forgotten"


# --- the lock -------------------------------------------------------------------------------------


HOLDER = """
import fcntl, json, os, sys, time
from datetime import datetime
lock = open(sys.argv[1], "a+")
fcntl.flock(lock, fcntl.LOCK_EX)
lock.truncate(0)
lock.write(json.dumps({"pid": os.getpid(), "command": "make deploy", "since": datetime.now().isoformat(timespec="seconds")}))
lock.flush()
print("held", flush=True)
time.sleep(120)
"""


def test_a_second_command_waits_then_refuses_naming_the_holder(isolated: dict[str, str], tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    running, _ = emulator.start(state_dir=state_dir)  # the holder's emulator, holding its deployment
    recorded = (state_dir / "emulator.json").read_text()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(state_dir / "state.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        env = {**isolated, "STATE_LOCK_WAIT_SECONDS": "1", "PATH": str(tmp_path / "empty")}  # nothing else could run
        commands = {
            "deploy": DEPLOY_ARGS + ["deploy", "--outdir", str(tmp_path / "cdktf.out")],
            "destroy": DEPLOY_ARGS + ["destroy", "--outdir", str(tmp_path / "cdktf.out")],
            "plan": PLAN + ["--outdir", str(tmp_path / "cdktf.out"), "--plan-dir", str(tmp_path / "plan")],
        }
        for name, command in commands.items():
            began = time.monotonic()
            result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 2, f"{name}: {result.stdout}{result.stderr}"
            assert time.monotonic() - began >= 1.0, f"{name} must wait STATE_LOCK_WAIT_SECONDS before refusing"
            assert f"error: make deploy is running (pid {holder.pid}, since " in result.stderr, result.stderr
            assert f"wait for it to finish, or stop it (kill {holder.pid}) if it hangs" in result.stderr
            assert str(state_dir / "state.lock") in result.stderr
            no_traceback(result)
        # Refused before it touched anything: the emulator record still names the holder's emulator.
        assert (state_dir / "emulator.json").read_text() == recorded
        assert emulator.current(state_dir) == running
    finally:
        holder.kill()
        holder.wait()
        emulator.stop(state_dir=state_dir)


DEPLOY_ARGS = [sys.executable, "-m", "tools.deploy"]


def test_two_deploys_at_once_and_a_restarted_emulator(isolated: dict[str, str], tmp_path: Path) -> None:
    """End to end: of two `make deploy` at once one deploys and the other is refused, so
    .state/emulator.json names the emulator that holds the deployment; when that emulator has
    ended, `make destroy` restarts it from its recording and destroys everything."""
    outdir = str(tmp_path / "cdktf.out")
    env = {**isolated, "STATE_LOCK_WAIT_SECONDS": "2", "MAKELEVEL": "1"}
    both = [subprocess.Popen(DEPLOY_ARGS + ["deploy", "--outdir", outdir], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(process, *process.communicate(timeout=900)) for process in both]
    codes = sorted(process.returncode for process, _, _ in results)
    assert codes == [0, 2], "\n".join(out + err for _, out, err in results)
    (refused,) = [err for process, _, err in results if process.returncode == 2]
    assert "error: make deploy is running (pid " in refused
    state_dir = tmp_path / "state"
    running = emulator.current(state_dir)
    assert running is not None
    tables = emulator_client(running.environment(), "dynamodb").list_tables()["TableNames"]
    assert tables == ["SampleTable"], ".state/emulator.json must name the emulator holding the deployment"

    os.kill(running.pid, 15)  # the emulator ends (a reboot, a kill): moto's memory is gone
    for _ in range(50):
        if emulator.current(state_dir) is None:
            break
        time.sleep(0.1)
    destroyed = run(["destroy", "--outdir", outdir], isolated)
    output = destroyed.stdout + destroyed.stderr
    assert destroyed.returncode == 0, output
    assert "restored what the previous emulator held:" in output
    assert "deletion protection of table SampleTable turned OFF explicitly" in output
    assert "Destroy complete! Resources: 6 destroyed." in output
    assert not (tmp_path / STATE).exists()
    assert not (state_dir / emulator.RECORDING_FILE).exists(), "a destroyed deployment leaves no recording to restore"
    assert emulator.current(state_dir) is None


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_lock_wait_is_a_named_error(isolated: dict[str, str], tmp_path: Path, value: str) -> None:
    result = run(["destroy", "--outdir", str(tmp_path / "cdktf.out")], {**isolated, "STATE_LOCK_WAIT_SECONDS": value})
    assert result.returncode == 2
    assert f"error: STATE_LOCK_WAIT_SECONDS {value!r} is invalid: a number of seconds from 0 to 3600" in result.stderr


def test_a_bad_force_reset_is_a_named_error(isolated: dict[str, str], tmp_path: Path) -> None:
    files = write_state(tmp_path, emulator.ACCOUNT, marker="local")
    result = run(["destroy", "--outdir", str(tmp_path / "cdktf.out")], {**isolated, "FORCE_RESET": "maybe"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error: FORCE_RESET 'maybe' is invalid: 1 (move the local state into .state/backups/) or unset" in result.stderr
    assert all(path.exists() for path in files)
