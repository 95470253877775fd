"""``lambda-dynamodb run-task serve``: the plan review as an HCP Terraform run task, on a local HTTP server.

    lambda-dynamodb run-task serve [--host 127.0.0.1] [--port 8080] [--tfc-address https://app.terraform.io]

HCP Terraform POSTs each run's request (post_plan) to the task's URL; the server answers 200
at once, then reviews the plan (the same review as ``lambda-dynamodb review``: replacements,
IAM changes with why, least privilege, plan checks) and PATCHes the result to the run's
callback: ``failed`` when the review has an error, ``passed`` otherwise. The HMAC key is read
from LAMBDA_DYNAMODB_RUN_TASK_HMAC_KEY (unset: requests are not signed, and not checked).
--tfc-address (else LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS) is where the token and results may go:
https://HOST[:PORT], or http://127.0.0.1:PORT for a local test double. Prints
``listening on http://HOST:PORT`` (the real port with --port 0) once it accepts requests; runs
until interrupted. Exit 2 on a bad option or an address it cannot listen on.
See https://developer.hashicorp.com/terraform/cloud-docs/integrations/run-tasks and docs/cli.md.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import signal
import sys
from typing import Any

from lambda_dynamodb.cli.arguments import command_parser
from lambda_dynamodb.cli.errors import CommandError
from lambda_dynamodb.run_task.settings import ENV_HMAC_KEY, SettingsError, from_environment

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def register(subparsers: Any) -> None:
    command = command_parser(subparsers, "run-task", "the plan review as an HCP Terraform run task (serve)", __doc__)
    actions = command.add_subparsers(dest="run_task_command", required=True, metavar="ACTION")
    serve = actions.add_parser("serve", help="serve the run task over HTTP", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"the address to listen on (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"the port to listen on, 0 for any free one (default {DEFAULT_PORT})")
    serve.add_argument("--tfc-address", default=None, help="HCP Terraform's address (default $LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS, else https://app.terraform.io)")
    serve.set_defaults(run=run)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)")
    return port


def check_host(host: str) -> str:
    """``host`` if it is an IP address or a host name (:class:`CommandError` naming the rule)."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not _HOST_NAME.match(host):
        raise CommandError(f"--host {host!r} is invalid: it must be an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1) or a host name")
    return host


def run(arguments: argparse.Namespace) -> int:
    from lambda_dynamodb.run_task.server import make_server

    host = check_host(arguments.host)
    try:
        settings = from_environment(os.environ, tfc_address=arguments.tfc_address)
    except SettingsError as error:
        raise CommandError(str(error)) from None
    if settings.hmac_key is None:
        print(
            f"lambda-dynamodb run-task: warning: {ENV_HMAC_KEY} is not set, so requests are accepted unsigned "
            "(as HCP Terraform sends them for a task without an HMAC key); set it to the task's HMAC key",
            file=sys.stderr,
            flush=True,
        )
    try:
        server = make_server(host, arguments.port, settings)
    except OSError as error:
        raise CommandError(f"--host {host} --port {arguments.port}: cannot listen there ({error.strerror or error})") from None
    # SIGTERM (a test harness, a container stop) ends the server as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"listening on {server.url}", flush=True)
    print(f"lambda-dynamodb run-task: results go to {settings.tfc_address.origin} only", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
