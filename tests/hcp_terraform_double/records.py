"""What the double hands out and records: a run, a request it received, a callback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Run:
    """One run of the double: its ids, its access token, and what its endpoints serve."""

    run_id: str
    plan_id: str
    configuration_version_id: str
    task_result_id: str
    access_token: str


@dataclass(frozen=True)
class Recorded:
    """A request one of the double's servers received."""

    server: str  # "api" or "blob"
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def authorization(self) -> str | None:
        return next((value for name, value in self.headers.items() if name.lower() == "authorization"), None)


@dataclass(frozen=True)
class Callback:
    """A PATCH of a task result: what arrived, and what is wrong with it (empty: nothing)."""

    task_result_id: str
    headers: dict[str, str]
    body: Any
    violations: tuple[str, ...]

    @property
    def attributes(self) -> dict[str, Any]:
        data = self.body.get("data") if isinstance(self.body, dict) else None
        attributes = data.get("attributes") if isinstance(data, dict) else None
        return attributes if isinstance(attributes, dict) else {}

    @property
    def status(self) -> str | None:
        return self.attributes.get("status")

    @property
    def message(self) -> str:
        return str(self.attributes.get("message", ""))

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        """The attributes of each outcome, in order."""
        data = self.body.get("data") if isinstance(self.body, dict) else None
        related = data.get("relationships", {}) if isinstance(data, dict) else {}
        items = related.get("outcomes", {}).get("data", []) if isinstance(related, dict) else []
        return [item.get("attributes", {}) for item in items if isinstance(item, dict)]

    def outcome(self, outcome_id: str) -> dict[str, Any]:
        found = [o for o in self.outcomes if o.get("outcome-id") == outcome_id]
        assert found, f"no outcome {outcome_id!r}; the outcomes are {[o.get('outcome-id') for o in self.outcomes]}"
        return found[0]

    def text(self) -> str:
        """Message, descriptions and bodies, one after another: where a test looks for a finding."""
        parts = [self.message]
        for outcome in self.outcomes:
            parts += [str(outcome.get("description", "")), str(outcome.get("body", ""))]
        return "\n".join(parts)
