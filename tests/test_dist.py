"""`make dist`: the library's wheel and sdist (what they hold, their metadata).

Installing it by name from a package index and synthesizing an outside app with it is
tests/test_release.py (what `make release` publishes)."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from email.message import Message
from pathlib import Path

import pytest

from conftest import PROJECT_DIR

pytestmark = pytest.mark.release


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and sdist, built as `make dist` builds them (python -m build)."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), "."], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, f"python -m build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


@pytest.fixture(scope="module")
def wheel_names(built: dict[str, Path]) -> list[str]:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        return wheel.namelist()


def test_wheel_is_named_after_the_distribution(built: dict[str, Path]) -> None:
    assert built["wheel"].name == "cdktf_lambda_dynamodb-0.1.0-py3-none-any.whl"


def test_wheel_holds_the_library_only(wheel_names: list[str]) -> None:
    outside = [n for n in wheel_names if not n.startswith(("lambda_dynamodb/", "cdktf_lambda_dynamodb-0.1.0.dist-info/"))]
    assert outside == []


def test_wheel_ships_no_tests_app_run_book_or_function_code(wheel_names: list[str]) -> None:
    """The app (main.py) and the run-book are at the wheel's top level, if anywhere (the test above);
    below it, no folder of tests, tools or examples, no function handler, no Terraform file."""
    leaked = [
        n for n in wheel_names
        if {"tests", "tools", "examples", "lambda"} & set(n.split("/")[:-1]) or n.rsplit("/", 1)[-1] in ("handler.py", "tf_module.py") or n.endswith((".tf", ".tf.json"))
    ]
    assert leaked == []


#: The library's subpackages (docs/architecture.md): each must be in the wheel, with its __init__.
SUBPACKAGES = ("analysis", "cli", "config", "constructs", "iam", "packaging", "review", "synthesis", "testing")


def test_wheel_holds_every_subpackage(wheel_names: list[str]) -> None:
    missing = [name for name in SUBPACKAGES if f"lambda_dynamodb/{name}/__init__.py" not in wheel_names]
    assert missing == []


def test_wheel_is_typed(wheel_names: list[str]) -> None:
    assert "lambda_dynamodb/py.typed" in wheel_names


def test_metadata_has_license_and_dependency_ranges(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        metadata = wheel.read("cdktf_lambda_dynamodb-0.1.0.dist-info/METADATA").decode()
    requirements = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: "))
    assert "License-Expression: Apache-2.0" in metadata
    assert [r for r in requirements if "extra ==" not in r] == [
        "boto3<2,>=1.34", "cdktf-cdktf-provider-aws<21,>=20.1.0", "cdktf<0.22,>=0.21.0", "constructs<11,>=10.0.0", "packaging>=21",
    ]


def test_metadata_offers_the_plugins_test_dependencies_as_an_extra(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        metadata = wheel.read("cdktf_lambda_dynamodb-0.1.0.dist-info/METADATA").decode()
    extras = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ") and "extra ==" in line)
    assert ("Provides-Extra: testing" in metadata, extras) == (True, ['moto[server]<6,>=5; extra == "testing"', 'pytest>=8; extra == "testing"'])


DIST_INFO = "cdktf_lambda_dynamodb-0.1.0.dist-info"


def _wheel_text(built: dict[str, Path], name: str) -> str:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        return wheel.read(f"{DIST_INFO}/{name}").decode()


@pytest.fixture(scope="module")
def entry_points(built: dict[str, Path]) -> configparser.ConfigParser:
    parsed = configparser.ConfigParser()
    parsed.optionxform = str  # type: ignore[assignment,method-assign]  # entry point names keep their case
    parsed.read_string(_wheel_text(built, "entry_points.txt"))
    return parsed


def test_wheel_declares_the_console_command(entry_points: configparser.ConfigParser) -> None:
    assert dict(entry_points["console_scripts"]) == {"lambda-dynamodb": "lambda_dynamodb.cli.main:main"}


def test_wheel_registers_the_pytest_plugin(entry_points: configparser.ConfigParser) -> None:
    assert dict(entry_points["pytest11"]) == {"lambda_dynamodb": "lambda_dynamodb.testing.plugin"}


@pytest.fixture(scope="module")
def metadata(built: dict[str, Path]) -> Message:
    return Parser().parsestr(_wheel_text(built, "METADATA"))


@pytest.fixture(scope="module")
def long_description(metadata: Message) -> str:
    body = metadata.get_payload()
    assert isinstance(body, str) and body.startswith("# cdktf-lambda-dynamodb"), "the wheel carries no long description"
    return body


#: Markdown links and images (``[text](target)``), reference definitions (``[x]: target``), HTML links.
LINK_TARGETS = re.compile(r"\]\(\s*<?([^)\s>]+)|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$|(?:href|src)=[\"']([^\"']+)", re.MULTILINE)


def link_targets(markdown: str) -> list[str]:
    return [next(group for group in match.groups() if group) for match in LINK_TARGETS.finditer(markdown)]


def test_long_description_is_markdown(metadata: Message) -> None:
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_long_description_links_are_absolute(long_description: str) -> None:
    """A page of the index renders the description: a relative link (``docs/module.md``) leads nowhere."""
    targets = link_targets(long_description)
    assert targets, "the description links to its documentation"
    assert [t for t in targets if not t.startswith("https://")] == []


def test_long_description_links_name_pages_of_this_repository(long_description: str) -> None:
    """Each docs link is the placeholder repository URL (the release writes the real one) and a
    file the repository holds: the released links only need the host."""
    prefix = "https://repository-url.invalid/blob/main/"
    pages = [t.removeprefix(prefix) for t in link_targets(long_description)]
    assert [p for p in pages if p.startswith("https://") or not (PROJECT_DIR / p).is_file()] == []


def _sections(markdown: str) -> dict[str, str]:
    """Level-two sections by heading (the text before the first heading under "")."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2]))}


def test_long_description_says_make_deploy_is_the_repositorys_run_book(long_description: str) -> None:
    sections = _sections(long_description)
    (about,) = [heading for heading in sections if "make deploy" in heading]
    assert "Not part of this package" in sections[about], sections[about]


def test_long_description_gives_no_make_step_to_package_users(long_description: str) -> None:
    """`make` targets are the repository's: no other section tells an installer to run one."""
    steps = {heading: re.findall(r"`make [^`]*`|^\s*make \S+", text, re.MULTILINE) for heading, text in _sections(long_description).items() if "make deploy" not in heading}
    assert {heading: found for heading, found in steps.items() if found} == {}


def test_long_description_tells_how_to_install_by_name(long_description: str) -> None:
    assert "pip install cdktf-lambda-dynamodb\n" in long_description


def test_project_urls_are_the_placeholder_the_release_replaces(metadata: Message) -> None:
    assert sorted(metadata.get_all("Project-URL") or []) == [
        "Documentation, https://repository-url.invalid/tree/main/docs",
        "Repository, https://repository-url.invalid",
    ]
