"""HCP Terraform's API as the run task uses it: the plan JSON, the configuration, the callback (urllib).

Redirects are never followed automatically: urllib would resend the ``Authorization`` header to
the new host. The plan JSON's URL answers 204 while the plan is not ready and 307 to a
short-lived URL on another host once it is
(https://developer.hashicorp.com/terraform/cloud-docs/api-docs/plans#retrieve-the-json-execution-plan):
the target is checked (:func:`~lambda_dynamodb.run_task.addresses.redirect_target`) and fetched
without the token. The token is only ever sent to a URL at the configured address. Errors name
the URL without its query (a blob URL's query is a credential), never the token.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from lambda_dynamodb._version import __version__
from lambda_dynamodb.run_task.addresses import Address, AddressError, redirect_target, shown_url

USER_AGENT = f"lambda-dynamodb-run-task/{__version__}"
TIMEOUT_SECONDS = 30.0
#: A plan of a large stack is a few MB; far beyond that is not a plan this task can review in time.
PLAN_LIMIT_BYTES = 200 * 1024 * 1024
#: A configuration version of a synthesized stack (its JSON and assets' references, not the zips).
ARCHIVE_LIMIT_BYTES = 100 * 1024 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 3
PATCH_ATTEMPTS = 3


class FetchError(Exception):
    """A request that did not give what was asked: the message names the URL and what happened."""


class PlanNotReady(FetchError):
    """The plan JSON was still not ready (204) when the wait ran out."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None  # a 3xx is then raised as an HTTPError, handled by hand


class TfcClient:
    """Requests with the run's token, to the configured address only."""

    def __init__(self, address: Address, token: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self._address = address
        self._token = token
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def plan_json(self, url: str, *, deadline: float, poll_interval: float,
                  clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> Any:
        """The plan JSON at ``url``: retried while 204 until ``deadline`` (a ``clock()`` time)."""
        while True:
            status, body = self.get(url, PLAN_LIMIT_BYTES)
            if status != 204:
                break
            if clock() + poll_interval > deadline:
                raise PlanNotReady(f"the plan JSON at {shown_url(url)} was still not ready (204) when the wait ran out")
            sleep(poll_interval)
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise FetchError(f"the plan JSON from {shown_url(url)} is not JSON ({error})") from None

    def get(self, url: str, limit: int) -> tuple[int, bytes]:
        """GET ``url`` with the token, a redirect followed without it: (status, body)."""
        self._check(url)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            status, location, body = self._request("GET", current, headers, None, limit)
            if status not in REDIRECTS:
                if status not in (200, 204):
                    raise FetchError(f"GET {shown_url(current)} answered {status}")
                return status, body
            try:
                current = redirect_target(location, current)
            except AddressError as error:
                raise FetchError(str(error)) from None
            headers = {"Accept": "application/json"}  # never the token to a redirect target
        raise FetchError(f"GET {shown_url(url)} redirected more than {MAX_REDIRECTS} times")

    def patch(self, url: str, document: Any) -> None:
        """PATCH the callback with ``document`` (JSON:API); retried on a network error or 5xx."""
        self._check(url)
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/vnd.api+json",
            "Accept": "application/vnd.api+json",
        }
        data = json.dumps(document).encode("utf-8")
        problem = ""
        for attempt in range(PATCH_ATTEMPTS):
            try:
                status, _, _ = self._request("PATCH", url, headers, data, 1024 * 1024)
            except FetchError as error:
                problem = str(error)
            else:
                if 200 <= status < 300:
                    return
                problem = f"PATCH {shown_url(url)} answered {status}"
                if status < 500:
                    break  # the body is refused: sending it again will not help
            time.sleep(0.5 * (attempt + 1))
        raise FetchError(problem)

    def _check(self, url: str) -> None:
        if not self._address.owns(url):
            raise FetchError(f"{shown_url(url)} is not at the configured address {self._address.origin}: the token is not sent there")

    def _request(self, method: str, url: str, headers: dict[str, str], data: bytes | None, limit: int) -> tuple[int, str | None, bytes]:
        request = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": USER_AGENT, **headers})
        try:
            response = self._opener.open(request, timeout=self._timeout)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers.get("Location"), b""
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise FetchError(f"{method} {shown_url(url)} failed: {reason}") from None
        with response:
            try:
                body = response.read(limit + 1)
            except OSError as error:
                raise FetchError(f"{method} {shown_url(url)} failed while reading: {error}") from None
            if len(body) > limit:
                raise FetchError(f"{method} {shown_url(url)} answered more than {limit} bytes: more than the run task reads")
            return response.status, response.headers.get("Location"), body

