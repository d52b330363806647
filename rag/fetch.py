"""Fetch one page or feed over HTTP(S), within limits, never from the service's own network.

Each redirect is followed by hand so that every hop is checked like the first:
scheme http or https, a host that resolves only to public addresses (unless
RAG_FETCH_ALLOW_PRIVATE), at most RAG_FETCH_MAX_REDIRECTS hops. The body is read
in blocks and abandoned past RAG_FETCH_MAX_BYTES or past the RAG_FETCH_TIMEOUT
deadline, so a slow or endless answer costs at most that much.

The address check resolves the host before httpx connects, so a DNS name that
changes its answer in between (DNS rebinding) is not caught; pin such names in a
resolver you control if that matters.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from rag.errors import FetchError, ForbiddenAddressError, HostNotFoundError
from rag.settings import FetchSettings

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/xml", "text/xml", "application/feed+json")
_BLOCK = 1 << 16


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 when a conditional request found nothing new
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"'")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def check_address(url: str, allow_private: bool) -> None:
    """Raise ForbiddenAddressError unless `url` is http(s) to a host the service may fetch."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError as exc:
        raise FetchError(f"{url}: not a valid address ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ForbiddenAddressError(f"{url}: only http and https addresses are fetched")
    host = parts.hostname
    if not host:
        raise ForbiddenAddressError(f"{url}: no host name")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise HostNotFoundError(f"{url}: cannot resolve {host}: {exc.strerror}") from None
    except (UnicodeError, ValueError) as exc:  # a label over 63 characters, a NUL, ...
        raise FetchError(f"{url}: {host!r} is not a host name ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise ForbiddenAddressError(
                f"{url}: {host} is a private, loopback or link-local address ({address}); "
                "set RAG_FETCH_ALLOW_PRIVATE=true to fetch from your own network")


def fetch(url: str, settings: FetchSettings, accept: tuple[str, ...] = HTML_TYPES,
          etag: str | None = None, last_modified: str | None = None,
          client: httpx.Client | None = None) -> Fetched:
    """GET `url`; a 2xx of an accepted type, or 304 to a conditional request. Anything else
    raises FetchError with a reason a person can act on."""
    deadline = time.monotonic() + settings.timeout_s
    headers = {"User-Agent": settings.user_agent,
               "Accept": ", ".join((*accept, "*/*;q=0.1"))}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    session = client or httpx.Client(follow_redirects=False)
    try:
        current = url
        for _ in range(settings.max_redirects + 1):
            check_address(current, settings.allow_private)
            fetched = _get(session, current, headers, settings, accept, deadline)
            if isinstance(fetched, Fetched):
                return fetched
            current = urljoin(current, fetched)
        raise FetchError(f"{url}: more than {settings.max_redirects} redirects "
                         "(RAG_FETCH_MAX_REDIRECTS)")
    finally:
        if own:
            session.close()


def _get(session: httpx.Client, url: str, headers: dict[str, str], settings: FetchSettings,
         accept: tuple[str, ...], deadline: float) -> Fetched | str:
    """The answer, or the address a redirect points to."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(f"{url}: no answer within {settings.timeout_s:g} s (RAG_FETCH_TIMEOUT)")
    try:
        with session.stream("GET", url, headers=headers, timeout=remaining) as response:
            if response.status_code == 304:
                return Fetched(url, 304, "", b"", response.headers.get("etag"),
                               response.headers.get("last-modified"))
            if response.is_redirect:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{url}: redirect ({response.status_code}) without a "
                                     "Location")
                return location
            if not response.is_success:
                raise FetchError(f"{url}: the server answered {response.status_code} "
                                 f"{response.reason_phrase}")
            content_type = response.headers.get("content-type", "")
            kind = content_type.split(";")[0].strip().lower()
            if kind not in accept:
                raise FetchError(f"{url}: {kind or 'no content type'} is not "
                                 f"{' or '.join(accept[:2])}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > settings.max_bytes:
                raise _too_large(url, settings)
            body = bytearray()
            for block in response.iter_bytes(_BLOCK):
                body += block
                if len(body) > settings.max_bytes:
                    raise _too_large(url, settings)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("deadline")
            return Fetched(str(response.url), response.status_code, content_type, bytes(body),
                           response.headers.get("etag"), response.headers.get("last-modified"))
    except httpx.TimeoutException:
        raise FetchError(f"{url}: no complete answer within {settings.timeout_s:g} s "
                         "(RAG_FETCH_TIMEOUT)") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"{url}: {exc}") from None


def _too_large(url: str, settings: FetchSettings) -> FetchError:
    return FetchError(f"{url}: over the {settings.max_bytes:,}-byte limit (RAG_FETCH_MAX_BYTES)")
