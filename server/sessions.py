"""Browser sign-in without the token ever sitting in a URL, a log or a referrer.

Whoever holds the API token (the desktop shell, or a person with the data dir)
asks for a one-time code; ``/?token=CODE`` trades it for an HttpOnly,
SameSite=Strict cookie and redirects to a clean URL. The cookie is signed with
the API token, so it survives restarts and dies when the token changes. It also
names the session epoch, which ``wallfacer passwd`` and ``wallfacer token
revoke`` bump, so changing a credential signs out every browser signed in before.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
import time
from pathlib import Path

COOKIE = "wallfacer_session"
SESSION_S = 30 * 24 * 3600
CODE_S = 10 * 60


# The desktop window's web view injects its own scripts and styles, which a
# strict CSP blocks; its session is marked so only it gets a looser policy.
BROWSER, DESKTOP = "browser", "desktop"


class Epoch:
    """The data dir's session epoch, kept in a file so the CLI can bump it while
    the server runs. The server reads it on every cookie check, so it stats the
    file (a few microseconds) and reads it again only when the file changed."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "session-epoch"
        self._seen: tuple[int, int, int] | None = None
        self._value = "0"

    def current(self) -> str:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return "0"  # never bumped
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            self._value = self.path.read_text().strip()
            self._seen = seen
        return self._value

    def bump(self) -> None:
        """A fresh random value, put in place whole (write aside, then rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".session-epoch-")
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(8) + "\n")
        os.replace(temp, self.path)


class Sessions:
    def __init__(self, token: str, epoch: Epoch) -> None:
        self._key = hashlib.sha256(b"wallfacer-session:" + token.encode()).digest()
        self._epoch = epoch
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
        claim = f"{int(time.time() + lifetime_s)}.{kind}.{self._epoch.current()}"
        return f"{claim}.{self._sign(claim)}"

    def valid(self, cookie: str | None) -> str | None:
        """The session kind of a genuine, unexpired cookie of this epoch; else None."""
        raw = cookie or ""
        parts = raw.split(".")
        # Ours are ASCII: compare_digest raises on anything else, and isdigit
        # alone admits "²", which int() refuses.
        if len(parts) != 4 or not raw.isascii() or not parts[0].isdigit():
            return None
        if int(parts[0]) < time.time():
            return None
        claim = ".".join(parts[:3])
        if not hmac.compare_digest(parts[3], self._sign(claim)):
            return None
        if parts[2] != self._epoch.current():
            return None  # signed before a password change or a token revocation
        return parts[1]

    def _sign(self, claim: str) -> str:
        return hmac.new(self._key, claim.encode(), hashlib.sha256).hexdigest()
