"""Where the run task may send HCP Terraform's token and results: the configured address only (pure).

The configured address is ``https://host[:port]`` (``http://127.0.0.1:port`` only, for a local
test double: a token must never cross a network in clear). A request's
``task_result_callback_url``, ``plan_json_api_url`` and ``configuration_version_download_url``
must have exactly that scheme, host and port: a payload pointing anywhere else is refused and
nothing is fetched or sent, because the bearer token it carries would go with the request.

The plan JSON is answered with a redirect to a short-lived URL on another host (HCP Terraform's
archivist, see https://developer.hashicorp.com/terraform/cloud-docs/api-docs/plans): that target
must be https (http only on a loopback host, for tests) and is fetched WITHOUT the token.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

DEFAULT_PORTS = {"https": 443, "http": 80}
#: The one host a configured http:// address may have.
LOCAL_HTTP_HOST = "127.0.0.1"
#: The request fields that carry a URL the token is sent to.
TOKEN_FIELDS = ("task_result_callback_url", "plan_json_api_url", "configuration_version_download_url")


class AddressError(ValueError):
    """A URL the run task must not use: the message names it (or its field) and the rule."""


@dataclass(frozen=True)
class Address:
    """The configured HCP Terraform (or Terraform Enterprise) address: scheme, host, port."""

    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        """``https://host[:port]`` or ``http://127.0.0.1:port`` (:class:`AddressError` naming the rule)."""
        where = f"address {text!r}"
        try:
            parts = urlsplit(text.strip())
            port = parts.port
        except ValueError as error:
            raise AddressError(f"{where} is not a URL ({error}): write it as https://HOST[:PORT]") from None
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise AddressError(f"{where} must be https://HOST[:PORT] (e.g. https://app.terraform.io)")
        if parts.username is not None or parts.password is not None:
            raise AddressError(f"{where} must not hold a user name or password")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise AddressError(f"{where} must be the origin only (https://HOST[:PORT]), without a path, query or fragment")
        host = parts.hostname.lower()
        if parts.scheme == "http" and host != LOCAL_HTTP_HOST:
            raise AddressError(f"{where} uses http://, accepted only on {LOCAL_HTTP_HOST} (a local test double): use https://")
        return cls(parts.scheme, host, port or DEFAULT_PORTS[parts.scheme])

    @property
    def origin(self) -> str:
        default = DEFAULT_PORTS[self.scheme] == self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" if default else f"{self.scheme}://{host}:{self.port}"

    def owns(self, url: str) -> bool:
        """Whether ``url`` is absolute, at this scheme, host and port, with no user name."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme != self.scheme or (parts.hostname or "").lower() != self.host:
            return False
        if parts.username is not None or parts.password is not None:
            return False
        return (port or DEFAULT_PORTS[self.scheme]) == self.port


def check_token_urls(urls: dict[str, str | None], address: Address) -> None:
    """Raise :class:`AddressError` naming the first field whose URL is not at ``address``."""
    for name in TOKEN_FIELDS:
        url = urls.get(name)
        if url is not None and not address.owns(url):
            raise AddressError(
                f"{name} {shown_url(url)} is not at the configured address {address.origin}: "
                "the token and results are sent there only, so nothing was fetched or sent"
            )


def redirect_target(location: str | None, base: str) -> str:
    """The absolute URL a redirect points to, if the run task may fetch it (without the token)."""
    if not location:
        raise AddressError(f"the redirect from {shown_url(base)} has no Location header")
    target = urljoin(base, location.strip())
    try:
        parts = urlsplit(target)
        parts.port
    except ValueError as error:
        raise AddressError(f"the redirect target {shown_url(target)} is not a URL ({error})") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None:
        raise AddressError(f"the redirect target {shown_url(target)} must be https://HOST/... without a user name")
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host)):
        return target
    raise AddressError(f"the redirect target {shown_url(target)} must be https (http only on a loopback host)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def shown_url(url: str) -> str:
    """A URL for a message: without its query (a signed blob URL's query is a credential), cut."""
    text = url.split("?", 1)[0]
    return repr(text if len(text) <= 200 else text[:197] + "...")
