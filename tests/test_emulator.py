"""The local emulator's lifecycle and its failure paths: clear errors, nothing left running."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tools import emulator
from tools.emulator import EmulatorError

pytestmark = pytest.mark.emulator


def no_process_left(pid_file_dir: Path) -> bool:
    return not (pid_file_dir / "emulator.json").exists()


def test_start_reuse_and_stop(tmp_path: Path) -> None:
    first, started = emulator.start(state_dir=tmp_path)
    try:
        assert started and emulator.answers(first.url)
        again, started_again = emulator.start(state_dir=tmp_path)
        assert (again, started_again) == (first, False)
    finally:
        assert emulator.stop(state_dir=tmp_path) == first
    assert not emulator.answers(first.url)
    assert emulator.current(state_dir=tmp_path) is None


def test_port_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind((emulator.HOST, 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(EmulatorError, match=f"port {port} on 127.0.0.1 is taken by another process"):
            emulator.start(state_dir=tmp_path, port=port)
    assert no_process_left(tmp_path)


def test_emulator_that_exits_is_a_clear_error(tmp_path: Path) -> None:
    crash = [sys.executable, "-c", "import sys; print('cannot start: missing werkzeug'); sys.exit(3)"]
    with pytest.raises(EmulatorError, match=r"exited with code 3 before answering:\n.*missing werkzeug"):
        emulator.start(state_dir=tmp_path, command=crash)
    assert no_process_left(tmp_path)


def test_emulator_that_never_answers_is_stopped(tmp_path: Path) -> None:
    hang = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(EmulatorError, match="did not answer on http://127.0.0.1:\\d+ within 1 s"):
        emulator.start(state_dir=tmp_path, command=hang, timeout=1.0)
    assert no_process_left(tmp_path)


def test_environment_points_everything_at_the_emulator() -> None:
    env = emulator.Emulator(port=4566, pid=1).environment("eu-west-1")
    assert env == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }


def test_a_restarted_emulator_comes_back_from_its_recording(tmp_path: Path) -> None:
    """moto keeps everything in memory: the project's emulator records what it serves, and the
    next start replays it, so a state written against the first one still describes the second."""
    from conftest import emulator_client

    first, _ = emulator.start(state_dir=tmp_path)
    try:
        dynamodb = emulator_client(first.environment(), "dynamodb")
        dynamodb.create_table(
            TableName="Kept",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            DeletionProtectionEnabled=True,
        )
        dynamodb.put_item(TableName="Kept", Item={"id": {"S": "x"}})
    finally:
        emulator.stop(state_dir=tmp_path)
    assert emulator.recorded_requests(tmp_path) >= 2

    second, started = emulator.start(state_dir=tmp_path)
    try:
        assert started and second.port != first.port and second.restored >= 2
        dynamodb = emulator_client(second.environment(), "dynamodb")
        assert dynamodb.describe_table(TableName="Kept")["Table"]["DeletionProtectionEnabled"] is True
        assert dynamodb.scan(TableName="Kept")["Items"] == [{"id": {"S": "x"}}]
    finally:
        emulator.stop(state_dir=tmp_path, forget=True)  # what a successful `make destroy` does
    assert emulator.recorded_requests(tmp_path) == 0

    third, _ = emulator.start(state_dir=tmp_path)
    try:
        assert third.restored == 0
        assert emulator_client(third.environment(), "dynamodb").list_tables()["TableNames"] == []
    finally:
        emulator.stop(state_dir=tmp_path, forget=True)


def test_a_damaged_recording_is_a_clear_error_and_is_kept(tmp_path: Path) -> None:
    (tmp_path / emulator.RECORDING_FILE).write_text("not json\n")
    with pytest.raises(EmulatorError, match=r"emulator-recording.jsonl line 1 is not a recorded request .*: move it aside"):
        emulator.start(state_dir=tmp_path)
    assert no_process_left(tmp_path)
    assert (tmp_path / emulator.RECORDING_FILE).read_text().startswith("not json\n"), "kept, not rewritten"


def test_the_recording_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    # It holds every request body: the function's zip, its environment's values.
    import stat

    emulator.start(state_dir=tmp_path)
    try:
        mode = stat.S_IMODE((tmp_path / emulator.RECORDING_FILE).stat().st_mode)
    finally:
        emulator.stop(state_dir=tmp_path)
    assert mode == 0o600
