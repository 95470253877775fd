"""The local emulator's lifecycle and its failure paths: clear errors, nothing left running."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

import emulator
from emulator import EmulatorError


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
