"""What counts as a credential, and how secrets are hashed. No secret is stored in clear.

- The local token (``<data-dir>/token``) is made automatically for the desktop
  window; it does not count as having configured auth.
- An explicit ``WALLFACER_TOKEN``, API tokens from ``wallfacer token create``
  (stored as SHA-256 hashes) and a password from ``wallfacer passwd`` (scrypt)
  do: only with one of these may the server listen beyond loopback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from server.store import Store

TOKEN_PREFIX = "wf_"


def token_hash(token: str) -> str:
    """API tokens are long random strings, so a plain SHA-256 is the right hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, name: str) -> tuple[str, str]:
    """Make and record a new API token; return (id, token). The token is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = uuid.uuid4().hex[:12]
    store.add_token(token_id, name, token_hash(token))
    return token_id, token


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt64, digest64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt64)
    digest = _scrypt(password, salt)
    return hmac.compare_digest(digest, base64.b64decode(digest64))


def auth_configured(store: Store, explicit_token: bool) -> bool:
    """Whether someone deliberately set up a way in (the guard for public binds)."""
    return explicit_token or bool(
        store.password_hash() or any(t["revoked_at"] is None for t in store.tokens())
    )
