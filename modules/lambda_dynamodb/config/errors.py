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


#: The most characters of a value a problem shows: a 1 MB value is not echoed back whole.
SHOWN_CHARACTERS = 80


def shown(text: str, length: int | None = None) -> str:
    """``text`` cut to ``SHOWN_CHARACTERS``, with a marker giving the whole length (``length``,
    that of ``text`` unless given) when it was cut; unchanged when it is short enough."""
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[:SHOWN_CHARACTERS]}… ({len(text) if length is None else length} characters)"


def problem(field: str, value: object, rule: str) -> str:
    """One problem line: names the field, the offending value and the rule it breaks.

    The value is shown as its repr, cut to 80 characters (a string's marker counts the string's
    own characters); a value nested too deeply to show is named as such."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"<{type(value).__name__} nested too deeply to show>"
    if isinstance(value, str) and len(value) <= SHOWN_CHARACTERS:
        return f"{field} {text} is invalid: {rule}"  # 80 characters of the value: shown whole, quotes and all
    return f"{field} {shown(text, len(value) if isinstance(value, str) else None)} is invalid: {rule}"


def raise_if_any(problems: Iterable[str]) -> None:
    collected = list(problems)
    if collected:
        raise ConfigurationError(collected)
