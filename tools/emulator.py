"""The local AWS emulator (moto server) that `make deploy` and the tests deploy to.

    python -m tools.emulator start    # start, or reuse the one this project started; prints its URL
    python -m tools.emulator stop     # stop the one this project started
    python -m tools.emulator status

Its port and pid are kept in ``.state/emulator.json`` (ignored by git); its log in
``.state/emulator.log``. Set EMULATOR_PORT to ask for a fixed port (default: a free one).

moto keeps everything in memory, so the emulator records every request it serves (moto's own
recorder, MOTO_ENABLE_RECORDING) in ``.state/emulator-recording.jsonl``. When an emulator of this
project has ended (a reboot, a kill), the next ``start`` replays that recording into the new one:
what was deployed comes back, and the Terraform state describes it again. ``stop`` keeps the
recording; ``stop(forget=True)``, what a successful `make destroy` does, ends it with the emulator.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("LAMBDA_DYNAMODB_STATE_DIR", PROJECT_DIR / ".state"))
HOST = "127.0.0.1"
#: moto's default account: deployments to it yield the reference walkthrough's ARNs.
ACCOUNT = "123456789012"
START_TIMEOUT_SECONDS = 30.0
#: moto enforces no Lambda concurrency quota unless told one: with AWS's default regional quota
#: it refuses, as AWS does, a reservation that leaves fewer than 100 executions unreserved.
LAMBDA_CONCURRENCY_QUOTA = 1000
#: Every request the project's emulator served, one JSON object a line (moto's recorder format).
RECORDING_FILE = "emulator-recording.jsonl"


class EmulatorError(RuntimeError):
    pass


@dataclass(frozen=True)
class Emulator:
    port: int
    pid: int
    #: Requests replayed from the recording when this emulator started (0: it started empty).
    restored: int = field(default=0, compare=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def environment(self, region: str = "eu-west-1") -> dict[str, str]:
        """What points the AWS provider, boto3 and the AWS CLI at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        }


def moto_command(port: int) -> list[str]:
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def port_is_taken(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(
    state_dir: Path = STATE_DIR,
    port: int | None = None,
    command: Sequence[str] | None = None,
    timeout: float = START_TIMEOUT_SECONDS,
) -> tuple[Emulator, bool]:
    """The running emulator this project started, or a new one. Returns (emulator, started_now).

    A new one records what it serves; if an earlier emulator left a recording, the new one
    replays it first (``Emulator.restored`` says how many requests).
    """
    running = current(state_dir)
    if running is not None and (port is None or running.port == port):
        return running, False
    if port is None and command is None:
        # moto picks the port (0) and logs it: no window between probing a free port and binding
        # it, in which another process (a parallel test worker's emulator) could take it and
        # answer in its place.
        process, recording = _launch(state_dir, moto_command(0))
        port = _logged_port(process, state_dir, timeout)
    else:
        port = port or free_port()
        if port_is_taken(port):
            raise EmulatorError(f"port {port} on {HOST} is taken by another process: free it, or unset EMULATOR_PORT to use a free port")
        process, recording = _launch(state_dir, list(command or moto_command(port)))
    emulator = Emulator(port=port, pid=process.pid)
    _wait_until_it_answers(process, emulator, state_dir, timeout)
    try:
        restored = restore(emulator, recording)
    except EmulatorError:
        _terminate(process.pid)
        raise
    (state_dir / "emulator.json").write_text(json.dumps({"port": emulator.port, "pid": emulator.pid}))
    return Emulator(port=port, pid=process.pid, restored=restored), True


def _launch(state_dir: Path, command: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
    state_dir.mkdir(parents=True, exist_ok=True)
    recording = state_dir / RECORDING_FILE
    # The recording holds every request body (the function's zip, its environment's values):
    # readable by this user only, like a state file should be.
    os.close(os.open(recording, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    recording.chmod(0o600)
    log = (state_dir / "emulator.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=_moto_env(recording))
    return process, recording


#: What moto's server (werkzeug) logs once it listens: the port it was given, or the one it picked.
_LISTENING = re.compile(rb"Running on http://127\.0\.0\.1:(\d+)")


def _logged_port(process: subprocess.Popen[bytes], state_dir: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _LISTENING.search((state_dir / "emulator.log").read_bytes())
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            raise EmulatorError(f"the emulator exited with code {process.returncode} before listening:\n{_log_tail(state_dir)}")
        time.sleep(0.1)
    _terminate(process.pid)
    raise EmulatorError(f"the emulator did not say which port it listens on within {timeout:.0f} s:\n{_log_tail(state_dir)}")


def _moto_env(recording: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MOTO_LAMBDA_CONCURRENCY_QUOTA": str(LAMBDA_CONCURRENCY_QUOTA),
        "MOTO_ENABLE_RECORDING": "1",
        "MOTO_RECORDER_FILEPATH": str(recording),
    }


def recorded_requests(state_dir: Path = STATE_DIR) -> int:
    """How many requests the recording in ``state_dir`` holds (0 when there is none)."""
    try:
        with (state_dir / RECORDING_FILE).open("rb") as recording:
            return sum(1 for line in recording if line.strip())
    except OSError:
        return 0


def restore(emulator: Emulator, recording: Path) -> int:
    """Replay ``recording`` into ``emulator`` (not recording the replay itself); returns how many
    requests were replayed. The recording is read, never rewritten."""
    try:
        lines = [line for line in recording.read_text(errors="replace").splitlines() if line.strip()]
    except FileNotFoundError:
        return 0
    if not lines:
        return 0
    _recorder(emulator, "stop-recording")
    replayed = 0
    try:
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
                url = urlsplit(entry["url"])
                body = entry.get("body") or b""
                if entry.get("body_encoded"):
                    body = base64.b64decode(body)
                headers = {k: v for k, v in dict(entry.get("headers") or {}).items() if k.lower() not in ("host", "transfer-encoding", "content-length")}
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise EmulatorError(f"{recording} line {number} is not a recorded request ({error}): move it aside to start an empty emulator") from None
            if url.path.startswith("/moto-api"):
                continue
            target = f"{emulator.url}{url.path}" + (f"?{url.query}" if url.query else "")
            data = body.encode() if isinstance(body, str) else body
            request = urllib.request.Request(target, data=data or None, headers=headers, method=str(entry.get("method") or "GET"))
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
            except urllib.error.HTTPError as answered:  # the emulator answered it as it did the first time
                answered.read()
            except (urllib.error.URLError, OSError) as error:
                raise EmulatorError(f"replaying {recording} into {emulator.url} failed at line {number}: {error}") from None
            replayed += 1
    finally:
        _recorder(emulator, "start-recording")
    return replayed


def _recorder(emulator: Emulator, action: str) -> None:
    request = urllib.request.Request(f"{emulator.url}/moto-api/recorder/{action}", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
    except (urllib.error.URLError, OSError) as error:
        raise EmulatorError(f"the emulator at {emulator.url} did not take /moto-api/recorder/{action}: {error}") from None


def _wait_until_it_answers(process: subprocess.Popen[bytes], emulator: Emulator, state_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"the emulator exited with code {process.returncode} before answering:\n{_log_tail(state_dir)}")
        if answers(emulator.url):
            return
        time.sleep(0.2)
    _terminate(process.pid)
    raise EmulatorError(f"the emulator did not answer on {emulator.url} within {timeout:.0f} s:\n{_log_tail(state_dir)}")


def current(state_dir: Path = STATE_DIR) -> Emulator | None:
    """The emulator recorded in ``state_dir`` if it still runs and answers."""
    try:
        emulator = Emulator(**json.loads((state_dir / "emulator.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if _alive(emulator.pid) and answers(emulator.url):
        return emulator
    (state_dir / "emulator.json").unlink(missing_ok=True)
    return None


def stop(state_dir: Path = STATE_DIR, forget: bool = False) -> Emulator | None:
    """Stop the emulator this project started (if any); returns what was stopped.

    Its recording stays (the next ``start`` brings its resources back) unless ``forget``: what
    `make destroy` does once the state holds nothing any more.
    """
    emulator = current(state_dir)
    if emulator is not None:
        _terminate(emulator.pid)
    (state_dir / "emulator.json").unlink(missing_ok=True)
    if forget:
        (state_dir / RECORDING_FILE).unlink(missing_ok=True)
    return emulator


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _terminate(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return
    for _ in range(50):
        if not _alive(pid):
            return
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _log_tail(state_dir: Path, lines: int = 15) -> str:
    try:
        text = (state_dir / "emulator.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def main(argv: Sequence[str]) -> int:
    action = argv[0] if argv else "status"
    try:
        if action == "start":
            requested = os.environ.get("EMULATOR_PORT")
            emulator, started = start(port=int(requested) if requested else None)
            print(f"{'started' if started else 'reusing'} moto server at {emulator.url} (pid {emulator.pid})")
            if emulator.restored:
                print(f"restored what it held from {STATE_DIR / RECORDING_FILE} ({emulator.restored} requests replayed)")
        elif action == "stop":
            stopped = stop()
            print(f"stopped moto server at {stopped.url}" if stopped else "no emulator of this project is running")
        else:
            running = current()
            print(f"moto server at {running.url} (pid {running.pid})" if running else "not running")
    except EmulatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
