"""What goes in the function's zip, and what never does: links out of its folder, secrets, VCS and
virtual environments, what ``exclude`` names; requirements the module refuses to install; installs
that several synths make at once.

Offline: dependencies come from wheels these tests write into a local wheelhouse (pip's
``PIP_FIND_LINKS`` with ``PIP_NO_INDEX``), never from the network.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import ConfigurationError, FunctionSettings
from lambda_dynamodb.packaging.code_package import build, source_hash_hex

HANDLER = "def handler(event, context):\n    return {}\n"


def code_dir(tmp_path: Path, name: str = "code") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "handler.py").write_text(HANDLER)
    return folder


def settings_for(folder: Path, **changes: Any) -> FunctionSettings:
    return FunctionSettings(name="fn", source_dir=folder, **changes)


def zipped(folder: Path, cache: Path, **changes: Any) -> dict[str, bytes]:
    with zipfile.ZipFile(build(settings_for(folder, **changes), cache).function.path) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def refused(folder: Path, cache: Path, **changes: Any) -> str:
    with pytest.raises(ConfigurationError) as error:
        build(settings_for(folder, **changes), cache)
    (message,) = error.value.problems
    assert not list(cache.rglob("*.zip")), "nothing is zipped when a file is refused"
    return message


# --- links ---------------------------------------------------------------------------------------


def test_a_link_to_the_processs_environment_is_refused_by_name(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / "env").symlink_to("/proc/self/environ")
    message = refused(folder, tmp_path / "cache")
    assert message.startswith(f"function.source_dir '{folder}' is invalid: the link env -> /proc/self/environ points outside the function's folder")
    with pytest.raises(ConfigurationError, match="the link env -> /proc/self/environ"):
        source_hash_hex(folder)  # the source hash sees the same files: it refuses too


def test_a_link_to_etc_passwd_in_a_subfolder_is_refused_by_name(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / "data").mkdir()
    (folder / "data" / "users").symlink_to("/etc/passwd")
    assert "the link data/users -> /etc/passwd points outside the function's folder" in refused(folder, tmp_path / "cache")


def test_a_relative_link_climbing_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (tmp_path / "id_ed25519").write_text("PRIVATE KEY")
    (folder / "key").symlink_to("../id_ed25519")
    assert "the link key -> ../id_ed25519 points outside the function's folder" in refused(folder, tmp_path / "cache")


def test_a_linked_folder_outside_is_refused(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_text("x")
    (folder / "shared").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert f"the link shared -> {tmp_path / 'elsewhere'} points outside the function's folder" in refused(folder, tmp_path / "cache")


def test_links_inside_are_packaged_as_what_they_point_to(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / "lib").mkdir()
    (folder / "lib" / "util.py").write_text("X = 1\n")
    (folder / "alias.py").symlink_to("handler.py")
    (folder / "vendor").symlink_to("lib", target_is_directory=True)  # a linked folder is not dropped
    files = zipped(folder, tmp_path / "cache")
    assert sorted(files) == ["alias.py", "handler.py", "lib/util.py", "vendor/util.py"]
    assert files["alias.py"] == HANDLER.encode() and files["vendor/util.py"] == b"X = 1\n"


def test_a_broken_link_is_refused_by_name(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / "gone.py").symlink_to("missing.py")
    assert "the link gone.py -> missing.py points to nothing that exists (a broken link)" in refused(folder, tmp_path / "cache")


def test_a_link_loop_is_refused(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    assert "the link sub/up -> .. points to a folder that holds it (a loop)" in refused(folder, tmp_path / "cache")


# --- what is left out ----------------------------------------------------------------------------


def test_secrets_vcs_and_virtual_environments_are_left_out_by_default(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / ".env").write_text("AWS_SECRET_ACCESS_KEY=x\n")
    (folder / ".env.production").write_text("TOKEN=x\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[remote]\n")
    for venv in (".venv", "venv"):
        (folder / venv / "lib").mkdir(parents=True)
        (folder / venv / "lib" / "site.py").write_text("")
    (folder / "pkg" / "__pycache__").mkdir(parents=True)
    (folder / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (folder / "pkg" / "m.py").write_text("")
    (folder / "pkg" / ".env").write_text("NESTED=x\n")
    assert sorted(zipped(folder, tmp_path / "cache")) == ["handler.py", "pkg/m.py"]


def test_a_link_to_a_left_out_file_is_left_out_too(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / ".env").write_text("AWS_SECRET_ACCESS_KEY=x\n")
    (folder / "settings.cfg").symlink_to(".env")
    assert sorted(zipped(folder, tmp_path / "cache")) == ["handler.py"]


def test_the_exclude_setting_leaves_out_its_glob_patterns(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    for name in ("tests/test_handler.py", "docs/guide.md", "docs/img/a.png", "notes.md", "lib/keep.py"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("")
    files = zipped(folder, tmp_path / "cache", exclude=("tests", "docs/*.md", "*.png"))
    assert sorted(files) == ["handler.py", "lib/keep.py", "notes.md"]


def test_the_source_hash_sees_the_files_the_zip_holds_and_no_others(tmp_path: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / "tests").mkdir()
    before = source_hash_hex(folder, ("tests",)), build(settings_for(folder, exclude=("tests",)), tmp_path / "cache").function.sha256
    (folder / ".env").write_text("A=1\n")
    (folder / "tests" / "test_x.py").write_text("")
    after = source_hash_hex(folder, ("tests",)), build(settings_for(folder, exclude=("tests",)), tmp_path / "cache").function.sha256
    assert after == before
    (folder / "handler.py").write_text(HANDLER + "# changed\n")
    assert source_hash_hex(folder, ("tests",)) != before[0]


def test_exclude_patterns_must_be_relative_and_inside(tmp_path: Path) -> None:
    from lambda_dynamodb.packaging.code_package import exclude_problems

    settings = settings_for(code_dir(tmp_path), exclude=("tests", "/etc/*", "../other", "a/../../b", ""))
    assert exclude_problems(settings) == [
        "function.exclude '/etc/*' is invalid: a pattern is relative to source_dir, not an absolute path",
        "function.exclude '../other' is invalid: a pattern names files inside source_dir: no '..'",
        "function.exclude 'a/../../b' is invalid: a pattern names files inside source_dir: no '..'",
        "function.exclude '' is invalid: each pattern is a non-empty string",
    ]
    assert exclude_problems(settings_for(code_dir(tmp_path, "b"), exclude="tests"))  # a string, not a tuple


def test_the_package_summary_gives_files_size_and_sha256(tmp_path: Path) -> None:
    from lambda_dynamodb.packaging.code_package import package_summary

    folder = code_dir(tmp_path)
    (folder / "lib.py").write_text("X = 1\n")
    package = build(settings_for(folder), tmp_path / "cache").function
    summary = package_summary(settings_for(folder), tmp_path / "cache")
    assert summary.startswith("function zip: 2 files, 0.0 MB zipped, 0.0 MB unzipped, SHA-256 ")
    assert f"SHA-256 {package.sha256.hex()} (CodeSha256 {package.code_sha256})" in summary


# --- requirements ------------------------------------------------------------------------------


def write_wheel(wheelhouse: Path, name: str, version: str) -> Path:
    """A pure-Python wheel (``py3-none-any``: every Lambda platform takes it)."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b'=').decode()},{len(c)}" for n, c in files.items()]
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheelhouse.mkdir(exist_ok=True)
    path = wheelhouse / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as bundle:
        for n, c in files.items():
            bundle.writestr(n, c)
    return path


@pytest.fixture()
def wheelhouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip installs from a local folder of wheels only: no network."""
    house = tmp_path / "wheelhouse"
    for version in ("1.0", "2.0"):
        write_wheel(house, "tiny", version)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(house))
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    return house


def evil_project(parent: Path, sentinel: Path) -> Path:
    """A source folder whose build backend writes ``sentinel`` when pip runs it."""
    project = parent / "evil"
    project.mkdir()
    (project / "setup.py").write_text(f"open({str(sentinel)!r}, 'w').write('ran')\nfrom setuptools import setup\nsetup(name='evil', version='1.0')\n")
    return project


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("./evil", "a local path (./evil)"),
        ("-e ./evil", "an editable install (-e ./evil)"),
        ("--editable=./evil", "an editable install (--editable=./evil)"),
        ("evil @ file:///srv/evil", "a local file URL (evil @ file:///srv/evil)"),
        ("../wheelhouse/tiny-1.0-py3-none-any.whl", "a local path (../wheelhouse/tiny-1.0-py3-none-any.whl)"),
        ("git+https://example.invalid/evil.git", "a VCS URL (git+https://example.invalid/evil.git)"),
        ("evil @ git+https://example.invalid/evil.git@v1", "a VCS URL (evil @ git+https://example.invalid/evil.git@v1)"),
        ("evil @ https://example.invalid/evil-1.0.tar.gz", "a direct URL to a source archive (evil @ https://example.invalid/evil-1.0.tar.gz)"),
    ],
)
def test_requirements_that_are_not_from_the_index_are_refused_with_the_reason(tmp_path: Path, wheelhouse: Path, line: str, kind: str) -> None:
    folder = code_dir(tmp_path)
    sentinel = tmp_path / "backend-ran"
    evil_project(folder, sentinel)
    (folder / "requirements.txt").write_text(f"tiny==1.0\n{line.format(folder=folder)}\n")
    message = refused(folder, tmp_path / "cache")
    assert message == (
        f"function.requirements 'code/requirements.txt:2' is invalid: {kind.format(folder=folder)}: not reproducible for Lambda's platform, "
        "and pip would run its build backend (any code) on this machine at synthesis; pin a released version from the index"
    )
    assert not sentinel.exists(), "no build backend ran"
    assert not (tmp_path / "cache" / "dependencies").exists() or not any((tmp_path / "cache" / "dependencies").iterdir())


def test_a_local_project_never_runs_its_build_backend(tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "off")  # pip builds with what is installed here: offline
    folder = code_dir(tmp_path)
    sentinel = tmp_path / "backend-ran"
    project = evil_project(tmp_path, sentinel)
    (folder / "requirements.txt").write_text(f"{project}\n")
    assert "is invalid: a local path (" in refused(folder, tmp_path / "cache")
    assert not sentinel.exists(), "the project's setup.py never ran"


def test_a_refused_requirement_in_an_included_file_is_named_where_it_is(tmp_path: Path, wheelhouse: Path) -> None:
    folder = code_dir(tmp_path)
    (folder / "requirements.txt").write_text("-r requirements/base.txt\n")
    (folder / "requirements").mkdir()
    (folder / "requirements" / "base.txt").write_text("tiny==1.0\n\n-e ../evil  # local\n")
    assert refused(folder, tmp_path / "cache").startswith("function.requirements 'code/requirements/base.txt:3' is invalid: an editable install (-e ../evil)")


def zip_names(folder: Path, cache: Path) -> list[str]:
    with zipfile.ZipFile(build(settings_for(folder), cache).function.path) as bundle:
        return bundle.namelist()


@pytest.mark.packaging
def test_a_change_in_a_file_included_with_r_reinstalls(tmp_path: Path, wheelhouse: Path) -> None:
    folder, cache = code_dir(tmp_path), tmp_path / "cache"
    (folder / "requirements.txt").write_text("-r base.txt\n")
    (folder / "base.txt").write_text("tiny==1.0\n")
    assert "tiny-1.0.dist-info/METADATA" in zip_names(folder, cache)
    (folder / "base.txt").write_text("tiny==2.0\n")
    assert "tiny-2.0.dist-info/METADATA" in zip_names(folder, cache)


@pytest.mark.packaging
def test_a_change_in_a_constraints_file_reinstalls(tmp_path: Path, wheelhouse: Path) -> None:
    folder, cache = code_dir(tmp_path), tmp_path / "cache"
    (folder / "requirements.txt").write_text("tiny\n-c constraints.txt\n")
    (folder / "constraints.txt").write_text("tiny==1.0\n")
    assert "tiny-1.0.dist-info/METADATA" in zip_names(folder, cache)
    (folder / "constraints.txt").write_text("tiny==2.0\n")
    assert "tiny-2.0.dist-info/METADATA" in zip_names(folder, cache)


@pytest.fixture()
def served(wheelhouse: Path) -> Iterator[str]:
    """The wheelhouse over HTTP on this machine: a direct URL to a wheel (which the module allows)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(wheelhouse))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.packaging
def test_the_zip_holds_no_install_record_or_path_of_this_machine(tmp_path: Path, served: str) -> None:
    folder = code_dir(tmp_path)
    # pip records a direct URL's origin in direct_url.json (a local path, for a local file).
    (folder / "requirements.txt").write_text(f"tiny @ {served}/tiny-1.0-py3-none-any.whl\n")
    with zipfile.ZipFile(build(settings_for(folder), tmp_path / "cache").function.path) as bundle:
        contents = {name: bundle.read(name) for name in bundle.namelist()}
    assert "tiny.py" in contents
    assert [name for name in contents if name.endswith("direct_url.json")] == []
    assert b"direct_url.json" not in contents["tiny-1.0.dist-info/RECORD"]
    installed = {name: data for name, data in contents.items() if name not in ("handler.py", "requirements.txt")}
    leaks = [name for name, data in installed.items() if any(p.encode() in data for p in (str(tmp_path), str(Path.home()), served))]
    assert leaks == []


# --- several synths at once ----------------------------------------------------------------------

_CONCURRENT_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from lambda_dynamodb import FunctionSettings
    from lambda_dynamodb.packaging.code_package import build

    folder, cache, ready, count = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    (ready / sys.argv[5]).touch()
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.01)  # all start pip together: the installs overlap
    print(build(FunctionSettings(name="fn", source_dir=folder), cache).function.sha256.hex())
    """
)


@pytest.mark.packaging
def test_synths_installing_into_a_cold_cache_at_once_all_succeed(tmp_path: Path, wheelhouse: Path) -> None:
    folder, cache, ready = code_dir(tmp_path), tmp_path / "cache", tmp_path / "ready"
    (folder / "requirements.txt").write_text("tiny==1.0\n")
    ready.mkdir()
    count = 3
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _CONCURRENT_BUILD, str(folder), str(cache), str(ready), str(count), str(n)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for n in range(count)
    ]  # fmt: skip
    results = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0] * count, [err.strip().splitlines()[-1:] for _, err in results]
    assert len({out.strip() for out, _ in results}) == 1, "every synth got the same zip"
    assert [p.name for p in (cache / "dependencies").iterdir()] != [] and not [p for p in (cache / "dependencies").iterdir() if p.name.startswith(".")]
