"""What the workbench (``siege serve``) lets in: an ASGI guard and a bounded JSON body reader.

A local web app is reachable by every page the planner's browser opens, so each request is checked
before a handler sees it (the rules Jupyter and the common dev servers follow):

- **Host** must name the address the server is bound to (loopback names by default): a page whose
  domain was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
- **Origin** and **Sec-Fetch-Site**, when a browser sends them, must be this server's own origin;
  the only foreign request let through is a top-level navigation (a link or a typed address), which
  reads nothing and can create a session only with the server's token.
- **POST** bodies must be ``application/json``, at most :data:`MAX_BODY_BYTES` (refused from
  ``Content-Length`` before anything is read, or as soon as a streamed body passes it) and nested at
  most :data:`MAX_DEPTH` deep.

Every refusal is a 4xx with one line of text. (Starlette's ``TrustedHostMiddleware`` does not fit:
it cuts the Host header at the first colon, so ``[::1]:8000`` never matches, and it checks neither
Origin nor bodies; one small guard does all of it in one place.)
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
from collections.abc import Iterable
from typing import Any

#: the largest request body read (bytes)
MAX_BODY_BYTES = 1_000_000
#: the deepest nesting of a JSON body (an edit is two levels deep)
MAX_DEPTH = 8
#: the names a loopback server answers to
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class Refused(Exception):
    """A request refused with ``status`` and one line of text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> set[str]:
    """The Host names a server bound to ``host`` answers to: loopback names always, the bound address
    itself, for a wildcard bind (``0.0.0.0``, ``::``) this machine's names and addresses, and ``extra``
    (names a planner puts in front of it, such as a reverse proxy's)."""
    names = {*LOOPBACK_NAMES, host.strip("[]").lower(), *(e.lower() for e in extra)}
    if host in ("0.0.0.0", "::", ""):
        for name in {socket.gethostname(), socket.getfqdn()}:
            names.add(name.lower())
            with contextlib.suppress(OSError):
                names.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
    names.discard("")
    return names


def host_name(header: str) -> str:
    """The name part of a Host header (``[::1]:8000`` → ``::1``, ``Example:80`` → ``example``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """ASGI middleware: refuses a foreign Host, a foreign Origin or fetch site, a POST that is not
    JSON, and a declared body over the limit, before the application runs."""

    def __init__(self, app: Any, *, hosts: set[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_request(scope, self.hosts)
        except Refused as refusal:
            await _send_text(send, refusal.status, str(refusal))
            return
        await self.app(scope, receive, send)


def check_request(scope: dict, hosts: set[str]) -> None:
    """Raise :class:`Refused` for a request the workbench must not serve (see the module docstring)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    name = host_name(headers.get("host", ""))
    if name not in hosts:
        raise Refused(400, f"refused: Host {name[:60]!r} is not an address this workbench answers to")
    origin = headers.get("origin")
    if origin is not None and origin.lower().rstrip("/") != _own_origin(scope, headers):
        raise Refused(403, "refused: a request from another site (Origin)")
    site = headers.get("sec-fetch-site")
    navigation = headers.get("sec-fetch-mode") == "navigate" and headers.get("sec-fetch-dest") == "document"
    if (scope["method"] != "GET" or not navigation) and site is not None and site not in ("same-origin", "none"):
        raise Refused(403, f"refused: a request from another site (Sec-Fetch-Site: {site[:20]})")
    if scope["method"] in ("GET", "HEAD"):
        return
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise Refused(415, "refused: expected a JSON body (Content-Type: application/json)")
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise Refused(413, f"refused: the body is larger than {MAX_BODY_BYTES:,} bytes")


def _own_origin(scope: dict, headers: dict[str, str]) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '').strip().lower()}"


async def read_json(request: Any) -> Any:
    """The request's JSON body, read in chunks and refused as soon as it passes the size limit;
    nesting deeper than :data:`MAX_DEPTH` is refused too."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, f"refused: the body is larger than {MAX_BODY_BYTES:,} bytes")
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks) or b"{}")
    except RecursionError:
        raise Refused(400, f"refused: JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise Refused(400, "expected a JSON body") from None
    if _depth(body) > MAX_DEPTH:
        raise Refused(400, f"refused: JSON nested deeper than {MAX_DEPTH} levels")
    return body


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


async def _send_text(send: Any, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
