"""Values only Terraform knows: variables and references, which CDKTF encodes as tokens.

The module checks concrete values itself; a token is checked by Terraform instead (the
Terraform module's input variables carry the same rules as ``validation`` blocks), because its
value exists only at plan time.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def is_unresolved(value: object) -> bool:
    """True for a CDKTF token (a string, number or list standing for a Terraform expression)."""
    cdktf = sys.modules.get("cdktf")
    # Tokens are made by CDKTF only: before it is imported there can be none, and checking
    # settings stays free of the jsii runtime.
    if cdktf is None or isinstance(value, bool) or not isinstance(value, (str, int, float, list, tuple)):
        return False
    return bool(cdktf.Token.is_unresolved(list(value) if isinstance(value, tuple) else value))


def terraform_value(kind: type[E], value: E | str) -> str:
    """The Terraform spelling of an enum setting; a token passes through unchanged."""
    if is_unresolved(value):
        return str(value)
    return str(kind(value).value)
