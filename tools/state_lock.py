"""One command at a time on the project's state: `make deploy`, `make destroy` and `make plan`.

Each holds an OS file lock (``fcntl.flock``) on ``.state/state.lock`` while it runs, and writes
its pid, command and start time into the file. A second one waits a short time
(STATE_LOCK_WAIT_SECONDS, default 5), then refuses, naming the holder. The OS releases the lock
when the holder's process ends, however it ends: a crashed deploy never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOCK_FILE = "state.lock"
WAIT_VARIABLE = "STATE_LOCK_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 5.0


class StateLocked(RuntimeError):
    """Another command holds the lock; the message names it."""


def wait_seconds(env: Mapping[str, str]) -> float:
    raw = env.get(WAIT_VARIABLE, "")
    if not raw:
        return DEFAULT_WAIT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise StateLocked(f"{WAIT_VARIABLE} {raw[:80]!r} is invalid: a number of seconds from 0 to 3600")
    return value


def command_name(action: str, env: Mapping[str, str]) -> str:
    """``make deploy`` when make runs it (as the run-book does), else the tool's own command line."""
    return f"make {action}" if env.get("MAKELEVEL") else f"python -m tools.{'plan' if action == 'plan' else 'deploy'} {action}"


@contextmanager
def state_lock(state_dir: Path, command: str, env: Mapping[str, str]) -> Iterator[Path]:
    """Hold the project's state lock for the block; raise StateLocked if another command keeps it."""
    wait = wait_seconds(env)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    # Opened without truncating: the holder's record stays readable until the lock is ours.
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StateLocked(_held_message(path, wait)) from None
                if not announced:
                    print(f"    waiting up to {wait:g} s for {_describe(path)} to release {_shown(path)}", flush=True)
                    announced = True
                time.sleep(0.1)
        record = {"pid": os.getpid(), "command": command, "since": datetime.now().isoformat(timespec="seconds")}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, (json.dumps(record) + "\n").encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(descriptor, 0)  # the file stays (the lock is on it); its record goes
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _holder(path: Path) -> tuple[str, int | None, str]:
    """(command, pid, since) of the lock's holder, as it recorded itself."""
    try:
        record = json.loads(path.read_text())
        since = datetime.fromisoformat(record["since"]).strftime("%H:%M:%S")
        return str(record["command"]), int(record["pid"]), since
    except (OSError, ValueError, KeyError, TypeError):
        return "another command", None, "a moment ago"


def _describe(path: Path) -> str:
    command, pid, since = _holder(path)
    return f"{command} (pid {pid}, since {since})" if pid else command


def _held_message(path: Path, wait: float) -> str:
    command, pid, since = _holder(path)
    running = f"{command} is running (pid {pid}, since {since})" if pid else f"{command} is running"
    stop = f", or stop it (kill {pid}) if it hangs" if pid else ""
    return (
        f"{running}: wait for it to finish{stop}, then run this again "
        f"(it holds the lock on this project's state, {_shown(path)}; waited {wait:g} s)"
    )


def _shown(path: Path) -> str:
    """``path`` relative to the project (as the user types it), else absolute."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path.resolve())
