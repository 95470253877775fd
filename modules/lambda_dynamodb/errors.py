"""The one error type the module raises for bad configuration."""

from __future__ import annotations

from collections.abc import Iterable


class ConfigurationError(ValueError):
    """Every problem found in a configuration, raised once before anything is created."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        count = len(self.problems)
        header = f"{count} configuration problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


def problem(field: str, value: object, rule: str) -> str:
    """One problem line: names the field, the offending value and the rule it breaks."""
    return f"{field} {value!r} is invalid: {rule}"


def raise_if_any(problems: Iterable[str]) -> None:
    collected = list(problems)
    if collected:
        raise ConfigurationError(collected)
