"""The review's *why* column: why the role has each permission the plan adds (pure).

The rows come from the permissions manifest of the planned stack (see
:mod:`lambda_dynamodb.review.manifests`), keyed by the policy (its Terraform address, else its
name) and the (action, resource) pair, so that two functions' roles never lend each other a
reason. When no manifest applies, :attr:`WhyColumn.unavailable` says why, and the review says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lambda_dynamodb.iam.verdict import Verdict
from lambda_dynamodb.review.iam_diff import PermissionChange, PermissionDiff, action_text, resource_text


@dataclass(frozen=True)
class WhyRow:
    """One permission row of a function's role, as its manifest gives it."""

    policy_address: str | None
    policy_name: str | None
    action: str
    resource: str
    why: str
    #: The manifest's verdict on the row (used, unused, missing, not checked); "" when not known.
    verdict: str = ""


#: When rows of one (policy, action, resource) disagree (two functions sharing a policy), the
#: first of these wins: one function's use is enough to make a grant used.
VERDICT_ORDER = (Verdict.USED.value, Verdict.NOT_CHECKED.value, Verdict.UNUSED.value, Verdict.MISSING.value, "")


@dataclass(frozen=True)
class WhyColumn:
    rows: tuple[WhyRow, ...] = ()
    #: Why there is no why column (no manifest applies to the plan), in words for the reviewer.
    unavailable: str | None = None
    _index: dict[tuple[str, str, str], str] = field(init=False, repr=False, compare=False)
    _verdicts: dict[tuple[str, str, str], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[tuple[str, str, str], list[str]] = {}
        verdicts: dict[tuple[str, str, str], str] = {}
        for row in self.rows:
            for policy in dict.fromkeys(p for p in (row.policy_address, row.policy_name) if p):
                key = (policy, row.action, row.resource)
                reasons = index.setdefault(key, [])
                if row.why not in reasons:
                    reasons.append(row.why)
                verdicts[key] = min(verdicts.get(key, ""), row.verdict, key=_verdict_rank)
        object.__setattr__(self, "_index", {key: "; ".join(reasons) for key, reasons in index.items()})
        object.__setattr__(self, "_verdicts", verdicts)

    @classmethod
    def of(cls, rows: Iterable[WhyRow]) -> WhyColumn:
        return cls(tuple(rows))

    @classmethod
    def missing(cls, reason: str) -> WhyColumn:
        return cls((), reason)

    def why(self, diff: PermissionDiff) -> str:
        """The reason for an added permission ("" when the manifest has none); removed ones are "no longer granted"."""
        if diff.change is PermissionChange.REMOVED:
            return "no longer granted"
        return self._lookup(self._index, diff)

    def verdict(self, diff: PermissionDiff) -> str:
        """The manifest's verdict on an added permission ("" when it has none); removed ones are "removed"."""
        if diff.change is PermissionChange.REMOVED:
            return "removed"
        return self._lookup(self._verdicts, diff)

    @staticmethod
    def _lookup(index: dict[tuple[str, str, str], str], diff: PermissionDiff) -> str:
        action, resource = action_text(diff.grant), resource_text(diff.grant)
        for policy in (diff.address, diff.policy):
            if (policy, action, resource) in index:
                return index[(policy, action, resource)]
        return ""


def _verdict_rank(verdict: str) -> int:
    return VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else len(VERDICT_ORDER)
