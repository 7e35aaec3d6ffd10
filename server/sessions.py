"""Browser sign-in without the token ever sitting in a URL, a log or a referrer.

Whoever holds the API token (the desktop shell, or a person with the data dir)
asks for a one-time code; ``/?token=CODE`` trades it for an HttpOnly,
SameSite=Strict cookie and redirects to a clean URL. The cookie is signed with
the API token, so it survives restarts and dies when the token changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

COOKIE = "wallfacer_session"
SESSION_S = 30 * 24 * 3600
CODE_S = 10 * 60


# The desktop window's web view injects its own scripts and styles, which a
# strict CSP blocks; its session is marked so only it gets a looser policy.
BROWSER, DESKTOP = "browser", "desktop"


class Sessions:
    def __init__(self, token: str) -> None:
        self._key = hashlib.sha256(b"wallfacer-session:" + token.encode()).digest()
        self._codes: dict[str, tuple[float, str]] = {}

    def issue_code(self, ttl_s: float = CODE_S, kind: str = BROWSER) -> str:
        now = time.time()
        self._codes = {c: v for c, v in self._codes.items() if v[0] > now}
        code = secrets.token_urlsafe(24)
        self._codes[code] = (now + ttl_s, kind)
        return code

    def redeem(self, code: str) -> str | None:
        """The session kind, once per issued, unexpired code; else None."""
        expires, kind = self._codes.pop(code, (0.0, BROWSER))
        return kind if expires > time.time() else None

    def cookie(self, lifetime_s: float = SESSION_S, kind: str = BROWSER) -> str:
        claim = f"{int(time.time() + lifetime_s)}.{kind}"
        return f"{claim}.{self._sign(claim)}"

    def valid(self, cookie: str | None) -> str | None:
        """The session kind of a genuine, unexpired cookie; else None."""
        parts = (cookie or "").split(".")
        if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdigit()):
            return None  # isdigit alone admits "²", which int() refuses
        if int(parts[0]) < time.time():
            return None
        claim = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(parts[2], self._sign(claim)):
            return None
        return parts[1]

    def _sign(self, claim: str) -> str:
        return hmac.new(self._key, claim.encode(), hashlib.sha256).hexdigest()
