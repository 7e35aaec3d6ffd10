"""API tokens and the sign-in password; only their hashes are ever stored."""

from __future__ import annotations

from typing import Any

from server.store.db import Database, now


class CredentialRows(Database):
    def add_token(self, token_id: str, name: str, token_hash: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)",
                (token_id, name, token_hash, now()),
            )

    def tokens(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, created_at, revoked_at FROM api_tokens ORDER BY created_at"
            ).fetchall()
        return [dict(row) for row in rows]

    def revoke_token(self, token_id: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now(), token_id),
            )
            return cur.rowcount > 0

    def token_valid(self, token_hash: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", (token_hash,)
            ).fetchone()
        return row is not None

    def set_password(self, password_hash: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO password (id, hash, set_at) VALUES (1, ?, ?)",
                (password_hash, now()),
            )

    def password_hash(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT hash FROM password WHERE id = 1").fetchone()
        return str(row[0]) if row else None
