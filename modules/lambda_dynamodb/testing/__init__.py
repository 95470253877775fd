"""Testing a CDKTF app built with lambda_dynamodb: its synthesized stacks, its functions run
from their packages against an emulator with their policies enforced, Terraform validity.

The pytest plugin (:mod:`.plugin`, loaded through the ``pytest11`` entry point) gives these as
fixtures; docs/testing-plugin.md describes both. Names are imported on first use, so that
importing this package (pytest does, in every run) loads nothing heavy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambda_dynamodb.testing.emulated import EmulatedStack
    from lambda_dynamodb.testing.emulator import Emulator
    from lambda_dynamodb.testing.invoke import Invocation
    from lambda_dynamodb.testing.stack import StackError, StackFunction, SynthesizedApp, SynthesizedStack
    from lambda_dynamodb.testing.statements import find_statements
    from lambda_dynamodb.testing.synthesize import SynthesisFailed, synthesize
    from lambda_dynamodb.testing.validity import TerraformInvalid, assert_valid_terraform

#: Public name -> the submodule defining it.
_EXPORTS = {
    "EmulatedStack": "emulated",
    "Emulator": "emulator",
    "Invocation": "invoke",
    "StackError": "stack",
    "StackFunction": "stack",
    "SynthesizedApp": "stack",
    "SynthesizedStack": "stack",
    "find_statements": "statements",
    "SynthesisFailed": "synthesize",
    "synthesize": "synthesize",
    "TerraformInvalid": "validity",
    "assert_valid_terraform": "validity",
}

__all__ = [
    "EmulatedStack",
    "Emulator",
    "Invocation",
    "StackError",
    "StackFunction",
    "SynthesisFailed",
    "SynthesizedApp",
    "SynthesizedStack",
    "TerraformInvalid",
    "assert_valid_terraform",
    "find_statements",
    "synthesize",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
