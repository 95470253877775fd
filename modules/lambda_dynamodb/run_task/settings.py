"""The run task's settings, from the command line and the environment.

    LAMBDA_DYNAMODB_RUN_TASK_HMAC_KEY            the HMAC key itself (local server; unset: no signature checked)
    LAMBDA_DYNAMODB_RUN_TASK_HMAC_SECRET_ARN     Lambda: the key is the SecretString of this secret
    LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS         HCP Terraform's address (default https://app.terraform.io)
    LAMBDA_DYNAMODB_RUN_TASK_TABLE               Lambda: the table recording each task_result_id
    LAMBDA_DYNAMODB_RUN_TASK_QUEUE_URL           Lambda: the queue accepted requests wait in for the worker
    LAMBDA_DYNAMODB_RUN_TASK_PLAN_WAIT_SECONDS   how long to wait for the plan JSON (default 600)
    LAMBDA_DYNAMODB_RUN_TASK_POLL_SECONDS        how long between two tries while it is not ready (default 5)

HCP Terraform gives a task 10 minutes between updates: hence the default wait
(https://developer.hashicorp.com/terraform/cloud-docs/integrations/run-tasks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from lambda_dynamodb.run_task.addresses import Address, AddressError

ENV_HMAC_KEY = "LAMBDA_DYNAMODB_RUN_TASK_HMAC_KEY"
ENV_HMAC_SECRET_ARN = "LAMBDA_DYNAMODB_RUN_TASK_HMAC_SECRET_ARN"
ENV_TFC_ADDRESS = "LAMBDA_DYNAMODB_RUN_TASK_TFC_ADDRESS"
ENV_TABLE = "LAMBDA_DYNAMODB_RUN_TASK_TABLE"
ENV_QUEUE_URL = "LAMBDA_DYNAMODB_RUN_TASK_QUEUE_URL"
ENV_PLAN_WAIT_SECONDS = "LAMBDA_DYNAMODB_RUN_TASK_PLAN_WAIT_SECONDS"
ENV_POLL_SECONDS = "LAMBDA_DYNAMODB_RUN_TASK_POLL_SECONDS"

DEFAULT_TFC_ADDRESS = "https://app.terraform.io"
DEFAULT_PLAN_WAIT_SECONDS = 600.0
DEFAULT_POLL_SECONDS = 5.0


class SettingsError(ValueError):
    """A setting that cannot be used: the message names it, its value and the rule."""


@dataclass(frozen=True)
class RunTaskSettings:
    tfc_address: Address
    #: None: no key is set, so requests are not signed (and not checked).
    hmac_key: bytes | None = field(default=None, repr=False)
    plan_wait_seconds: float = DEFAULT_PLAN_WAIT_SECONDS
    poll_interval_seconds: float = DEFAULT_POLL_SECONDS


def from_environment(environ: Mapping[str, str], *, tfc_address: str | None = None, hmac_key: bytes | None = None) -> RunTaskSettings:
    """The settings: ``tfc_address`` and ``hmac_key`` when given, else the environment's."""
    address_text = tfc_address if tfc_address is not None else environ.get(ENV_TFC_ADDRESS) or DEFAULT_TFC_ADDRESS
    try:
        address = Address.parse(address_text)
    except AddressError as error:
        raise SettingsError(f"--tfc-address / {ENV_TFC_ADDRESS}: {error}") from None
    key = hmac_key if hmac_key is not None else environ.get(ENV_HMAC_KEY, "").encode("utf-8")
    return RunTaskSettings(
        tfc_address=address,
        hmac_key=key or None,
        plan_wait_seconds=_seconds(environ, ENV_PLAN_WAIT_SECONDS, DEFAULT_PLAN_WAIT_SECONDS, minimum=0.0),
        poll_interval_seconds=_seconds(environ, ENV_POLL_SECONDS, DEFAULT_POLL_SECONDS, minimum=0.01),
    )


def _seconds(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} is {text!r}: it must be a number of seconds") from None
    # The wait is bounded by HCP Terraform's 10 minutes between updates: more would time out there.
    if not math.isfinite(value) or value < minimum or value > DEFAULT_PLAN_WAIT_SECONDS:
        raise SettingsError(f"{name} is {text!r}: it must be between {minimum:g} and {DEFAULT_PLAN_WAIT_SECONDS:g} seconds")
    return value
