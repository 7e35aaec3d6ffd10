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


class Sessions:
    def __init__(self, token: str) -> None:
        self._key = hashlib.sha256(b"wallfacer-session:" + token.encode()).digest()
        self._codes: dict[str, float] = {}

    def issue_code(self, ttl_s: float = CODE_S) -> str:
        now = time.time()
        self._codes = {c: t for c, t in self._codes.items() if t > now}
        code = secrets.token_urlsafe(24)
        self._codes[code] = now + ttl_s
        return code

    def redeem(self, code: str) -> bool:
        """True once per issued, unexpired code."""
        expires = self._codes.pop(code, 0.0)
        return expires > time.time()

    def cookie(self, lifetime_s: float = SESSION_S) -> str:
        expires = str(int(time.time() + lifetime_s))
        return f"{expires}.{self._sign(expires)}"

    def valid(self, cookie: str | None) -> bool:
        if not cookie or "." not in cookie:
            return False
        expires, signature = cookie.split(".", 1)
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(signature, self._sign(expires))

    def _sign(self, expires: str) -> str:
        return hmac.new(self._key, expires.encode(), hashlib.sha256).hexdigest()
