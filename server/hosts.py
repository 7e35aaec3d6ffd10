"""The host names a server of ours answers to, read from a Host header.

Both the board (``server.auth``) and the previews (``server.previews``) refuse
a foreign Host, the mark of DNS rebinding; they read it the same way here.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def hostname(host_header: str) -> str:
    try:
        return (urlsplit(f"//{host_header}").hostname or "").lower()
    except ValueError:  # e.g. "[": not a host at all
        return ""


def allowed(names: Iterable[str]) -> frozenset[str]:
    """The loopback names and ``names`` (bound addresses, public names), as compared."""
    return LOCAL_NAMES | {h.lower().strip("[]") for h in names}
