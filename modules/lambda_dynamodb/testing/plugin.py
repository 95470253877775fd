"""The ``lambda_dynamodb`` pytest plugin (registered through the ``pytest11`` entry point).

pytest loads it in every run of every project that installed the library, so importing it
costs nothing and does nothing: no CDKTF, no moto, no boto3; each fixture imports what it
needs when a test asks for it. Fixtures (docs/testing-plugin.md):

- ``lambda_dynamodb_app`` (session; override it): the app under test, a callable
  ``build(outdir) -> cdktf.App`` or the path of its ``main.py`` or ``cdktf.json``; by default the
  ``lambda_dynamodb_app`` ini option, else the ``cdktf.json`` of the rootdir.
- ``lambda_dynamodb_stack_name`` (session; override it): which stack, when the app has several.
- ``synthesized`` (session): the app synthesized once, a ``SynthesizedApp``.
- ``synthesized_stack`` (session): its stack, a ``SynthesizedStack``.
- ``lambda_dynamodb_emulator`` (session): moto's server in this process, or the server
  ``--lambda-dynamodb-endpoint`` names.
- ``emulated_stack`` (each test): the stack's tables and queues created in the emulator, an
  ``EmulatedStack`` that runs functions from their packages, their policies enforced.
- ``terraform_cli_config`` (session): a Terraform CLI configuration file (the offline provider
  mirror when one is present).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lambda_dynamodb.testing.emulated import EmulatedStack
    from lambda_dynamodb.testing.emulator import Emulator
    from lambda_dynamodb.testing.stack import SynthesizedApp, SynthesizedStack

_ENDPOINT = "--lambda-dynamodb-endpoint"
_OUTDIR = "--lambda-dynamodb-outdir"
_APP_INI = "lambda_dynamodb_app"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lambda_dynamodb", "lambda-dynamodb (testing a CDKTF app's functions)")
    group.addoption(_ENDPOINT, metavar="URL", help="an AWS emulator already running (moto server, LocalStack); default: moto's server in this process")
    group.addoption(_OUTDIR, metavar="DIR", help="an already synthesized cdktf.out to test, instead of synthesizing the app")
    parser.addini(_APP_INI, "the app the lambda_dynamodb fixtures synthesize: its main.py or cdktf.json, relative to the rootdir")


@pytest.fixture(scope="session")
def lambda_dynamodb_app(pytestconfig: pytest.Config) -> Any:
    """The app under test. Override it in conftest.py: return ``build(outdir) -> App``, or a path."""
    named = pytestconfig.getini(_APP_INI)
    if named:
        return Path(pytestconfig.rootpath) / str(named)
    found = Path(pytestconfig.rootpath) / "cdktf.json"
    if found.is_file():
        return found
    pytest.fail(
        "the lambda_dynamodb fixtures do not know the app to synthesize: define a fixture "
        "`lambda_dynamodb_app` in conftest.py returning its main.py path (or a function building its App for an outdir), "
        f"set the `{_APP_INI}` ini option, or pass {_OUTDIR}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def lambda_dynamodb_stack_name() -> str | None:
    """The stack under test; None: the app's only stack. Override it for an app of several stacks."""
    return None


@pytest.fixture(scope="session")
def synthesized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The app, synthesized once for the session (or the ``--lambda-dynamodb-outdir`` given)."""
    from lambda_dynamodb.testing.stack import SynthesizedApp, StackError
    from lambda_dynamodb.testing.synthesize import SynthesisFailed, synthesize

    given = request.config.getoption(_OUTDIR)
    try:
        if given:
            app = SynthesizedApp(Path(given))
            if not app.stacks:  # fail here, naming the folder, rather than in the first test
                raise StackError(f"{given} holds no synthesized stack (no stacks/<name>/cdk.tf.json)")
            return app
        source = request.getfixturevalue("lambda_dynamodb_app")
        return synthesize(source, tmp_path_factory.mktemp("lambda-dynamodb") / "cdktf.out")
    except (SynthesisFailed, StackError) as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def synthesized_stack(synthesized: SynthesizedApp, lambda_dynamodb_stack_name: str | None) -> SynthesizedStack:
    from lambda_dynamodb.testing.stack import StackError

    try:
        return synthesized.stack(lambda_dynamodb_stack_name)
    except StackError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def lambda_dynamodb_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    from lambda_dynamodb.testing.emulator import Emulator, EmulatorMissing

    url = request.config.getoption(_ENDPOINT)
    if url:
        yield Emulator.at(url)
        return
    try:
        emulator = Emulator.in_process()
    except EmulatorMissing as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture()
def emulated_stack(synthesized_stack: SynthesizedStack, lambda_dynamodb_emulator: Emulator) -> Iterator[EmulatedStack]:
    """The stack's tables and queues, fresh in the emulator for this test (deleted after it)."""
    from lambda_dynamodb.testing.emulated import EmulatedStack

    with EmulatedStack(synthesized_stack, lambda_dynamodb_emulator) as stack:
        yield stack


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Terraform CLI configuration file: the offline provider mirror when present (``TF_CLI_CONFIG_FILE``)."""
    from lambda_dynamodb.testing.terraform_cli import write_cli_config

    return write_cli_config(tmp_path_factory.mktemp("terraform") / "terraform.rc")
