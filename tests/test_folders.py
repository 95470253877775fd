"""Only the project's own folders are replaced: cdktf.out, make plan's folder, tf_module.py --outdir.

A folder the project writes gets a marker file; an existing folder without it is refused by name
(exit 2 for the tools), and the file system's root, the home folder, the working directory, their
parents and a project's root never are replaced. Swaps by several processes at once are safe.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import ConfigurationError

PROJECT_DIR = Path(__file__).resolve().parent.parent
MARKER = ".lambda-dynamodb-output"


class _App:
    def __init__(self, staging: Path) -> None:
        self.staging = staging

    def synth(self) -> None:
        (self.staging / "manifest.json").write_text("{}")


def users_folder(parent: Path, name: str = "out") -> Path:
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / "thesis.tex").write_text("three years of work")
    return folder


def staged(parent: Path, content: str = "new") -> Path:
    folder = parent / f".staged-{content}"
    folder.mkdir()
    (folder / "main.tf").write_text(content)
    return folder


def test_synth_refuses_a_folder_it_did_not_make_by_name(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.output import synth_atomically

    out = users_folder(tmp_path)
    with pytest.raises(ConfigurationError) as error:
        synth_atomically(_App, out)
    (message,) = error.value.problems
    assert message == (
        f"output folder '{out}' is invalid: exists and was not made by the project (no {MARKER} file inside), "
        "so replacing it could delete files of yours: remove or rename it yourself, or name another folder"
    )
    assert [p.name for p in out.iterdir()] == ["thesis.tex"] and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_synth_marks_its_folder_and_replaces_it_next_time(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.output import synth_atomically

    out = tmp_path / "out"
    synth_atomically(_App, out)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "manifest.json"]
    (out / "stale.json").write_text("{}")
    synth_atomically(_App, out)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no staging or retired folder is left"


def test_replace_folder_refuses_a_folder_without_the_marker(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.output import replace_folder

    target = users_folder(tmp_path, "plan")
    new = staged(tmp_path)
    with pytest.raises(ConfigurationError, match=f"output folder '{target}' is invalid: exists and was not made by the project"):
        replace_folder(new, target)
    assert [p.name for p in target.iterdir()] == ["thesis.tex"]


def test_an_empty_folder_is_replaced(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.output import replace_folder

    (tmp_path / "plan").mkdir()
    replace_folder(staged(tmp_path), tmp_path / "plan")
    assert (tmp_path / "plan" / "main.tf").read_text() == "new" and (tmp_path / "plan" / MARKER).is_file()


@pytest.mark.parametrize("which", ["home", "working directory", "parent of the working directory", "project root"])
def test_home_project_and_working_folders_are_never_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str) -> None:
    from lambda_dynamodb.synthesis.output import replace_folder

    home = users_folder(tmp_path, "home")
    work = users_folder(tmp_path / "home", "work")
    project = users_folder(tmp_path / "home", "project")
    (project / "cdktf.json").write_text("{}")
    for folder in (home, work, project):
        (folder / MARKER).write_text("")  # even with a marker
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    target = {"home": home, "working directory": work, "parent of the working directory": home, "project root": project}[which]
    with pytest.raises(ConfigurationError, match=f"output folder '{target}' is invalid: (is|holds) "):
        replace_folder(staged(tmp_path), target)
    assert (target / "thesis.tex").read_text() == "three years of work"


def test_the_file_systems_root_is_never_replaced(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.output import replace_folder

    with pytest.raises(ConfigurationError, match="output folder '/' is invalid: is the file system's root"):
        replace_folder(staged(tmp_path), Path("/"))


def test_make_synth_refuses_a_users_folder_with_exit_2(tmp_path: Path) -> None:
    out = users_folder(tmp_path)
    env = {**os.environ, "CDKTF_OUTDIR": str(out), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run([sys.executable, "main.py"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"output folder '{out}' is invalid: exists and was not made by the project" in result.stderr
    assert "Traceback" not in result.stderr and [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_make_plan_refuses_a_users_folder(tmp_path: Path) -> None:
    from tools import plan

    target = users_folder(tmp_path, "plan")
    with pytest.raises(ConfigurationError, match=f"output folder '{target}' is invalid"):
        plan.write_atomically(target, lambda staging: (staging / "plan.md").write_text("review"))
    assert [p.name for p in target.iterdir()] == ["thesis.tex"] and sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_tf_module_refuses_a_users_folder_and_keeps_its_history(tmp_path: Path) -> None:
    from tools import tf_module

    target = users_folder(tmp_path, "module")
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    module = staged(tmp_path)
    with pytest.raises(ConfigurationError, match=f"output folder '{target}' is invalid"):
        tf_module._swap_keeping_history(module, target)
    assert sorted(p.name for p in target.iterdir()) == [".git", "thesis.tex"] and (target / ".git" / "HEAD").is_file()


def test_tf_module_exits_2_on_a_refused_folder(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tools import tf_module
    from lambda_dynamodb.synthesis.output import FolderError

    def refuse(target: Path, *args: Any) -> Path:
        raise FolderError(target, "exists and was not made by the project")

    monkeypatch.setattr(tf_module, "write_module", refuse)
    assert tf_module.main(["--outdir", str(tmp_path / "x")]) == 2
    assert f"error: 1 configuration problem:\n  - output folder '{tmp_path / 'x'}' is invalid" in capsys.readouterr().err


# --- several processes swapping at once ---------------------------------------------------------

_SWAPPER = textwrap.dedent(
    """
    import sys, tempfile, time
    from pathlib import Path
    from lambda_dynamodb.synthesis.output import replace_folder

    target, ready, count, me, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    (ready / me).touch()
    while len(list(ready.iterdir())) < count:
        time.sleep(0.005)
    for n in range(rounds):
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        for part in ("a", "b", "c"):
            (staging / part).write_text(f"{me}-{n}")
        replace_folder(staging, target)
    """
)


def test_processes_swapping_one_folder_at_once_never_fail_or_mix_outputs(tmp_path: Path) -> None:
    target, ready = tmp_path / "cdktf.out", tmp_path / "ready"
    ready.mkdir()
    count, rounds = 4, 40
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [
        subprocess.Popen([sys.executable, "-c", _SWAPPER, str(target), str(ready), str(count), f"p{n}", str(rounds)], stderr=subprocess.PIPE, text=True, env=env)
        for n in range(count)
    ]
    seen: list[set[str]] = []
    while any(run.poll() is None for run in runs):
        try:
            folder = os.open(target, os.O_RDONLY)  # one folder, whatever is swapped meanwhile
        except FileNotFoundError:
            continue
        try:
            contents = {open(part, opener=lambda name, flags: os.open(name, flags, dir_fd=folder)).read() for part in ("a", "b", "c")}
            seen.append(contents)
        except FileNotFoundError:
            pass  # retired and removed while read
        finally:
            os.close(folder)
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * count, [e.strip().splitlines()[-1:] for e in errors]
    assert all(len(contents) == 1 for contents in seen), "a reader saw one output, never a mix"
    assert len({(target / part).read_text() for part in ("a", "b", "c")}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out", "ready"], "no staging or retired folder is left"


def test_without_an_atomic_exchange_the_swap_still_keeps_one_whole_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_dynamodb.synthesis import output as synth
    monkeypatch.setattr(synth, "_exchange", lambda first, second: False)  # a kernel or file system without renameat2
    target = tmp_path / "plan"
    for content in ("first", "second"):
        synth.replace_folder(staged(tmp_path, content), target)
    assert (target / "main.tf").read_text() == "second" and (target / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"], "no staging or retired folder is left"


# --- synth_app: an app's main() ------------------------------------------------------------------


def _one_table_app(staging: Path) -> Any:
    from lambda_dynamodb import Table, TableSettings
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    app = App(outdir=str(staging))
    stack = TerraformStack(app, "tables")
    AwsProvider(stack, "aws", region="eu-west-1")
    Table(stack, "orders", TableSettings(name="Orders"))
    return app


def test_synth_app_names_each_synthesized_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lambda_dynamodb.synthesis.app import synth_app

    assert synth_app(_one_table_app, tmp_path / "cdktf.out") == 0
    assert capsys.readouterr().out == f"synthesized {(tmp_path / 'cdktf.out' / 'stacks' / 'tables' / 'cdk.tf.json').resolve()}\n"


def test_synth_app_refuses_a_folder_the_project_did_not_make_and_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lambda_dynamodb.synthesis.app import synth_app

    folder = users_folder(tmp_path)
    assert synth_app(_one_table_app, folder) == 2
    assert "error:" in capsys.readouterr().err and (folder / "thesis.tex").read_text() == "three years of work"


def test_the_output_marker_is_never_packaged_into_a_function() -> None:
    from lambda_dynamodb.config.defaults import PACKAGE_EXCLUDES
    from lambda_dynamodb.synthesis.output import MARKER as OUTPUT_MARKER

    assert OUTPUT_MARKER in PACKAGE_EXCLUDES
