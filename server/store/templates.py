"""Prompt templates, by id; names are unique."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.store.db import Database, now


class TemplateRows(Database):
    def templates(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM templates ORDER BY name").fetchall()
        return [dict(row) for row in rows]

    def template(self, template_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM templates WHERE id = ?", (template_id,)
            ).fetchone()
        return dict(row) if row else None

    def save_template(self, template_id: str, name: str, text: str) -> dict[str, Any] | None:
        """Create or replace a template; None when another one has the name."""
        stamp = now()
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT INTO templates (id, name, text, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    " name = excluded.name, text = excluded.text, updated_at = excluded.updated_at",
                    (template_id, name, text, stamp, stamp),
                )
        except sqlite3.IntegrityError:
            return None
        return self.template(template_id)

    def delete_template(self, template_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM templates WHERE id = ?", (template_id,)).rowcount > 0
