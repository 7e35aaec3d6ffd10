"""What the server needs to know to run: paths, limits, the sandbox image.

Built once by ``app.main`` from CLI flags and their environment fallbacks.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_IMAGE = "wallfacer-claude:latest"
ENV_FILE_TEMPLATE = """\
# Environment for agent containers, re-read before each launch.
# One KEY=VALUE per line, e.g.:
# ANTHROPIC_API_KEY=sk-ant-...
# CLAUDE_CODE_OAUTH_TOKEN=...
"""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    image: str = DEFAULT_IMAGE
    repos: tuple[Path, ...] = ()
    token: str | None = None  # WALLFACER_TOKEN; otherwise read or made in the data dir
    cpus: float | None = None
    memory: str | None = None
    network: str | None = None
    task_timeout_s: float = 60 * 60
    max_parallel: int = 4

    @property
    def db_path(self) -> Path:
        return self.data_dir / "wallfacer.db"

    @property
    def env_file(self) -> Path:
        return self.data_dir / "env"

    @property
    def worktrees_dir(self) -> Path:
        return self.data_dir / "worktrees"

    def api_token(self) -> str:
        """The explicit token, or the one saved in the data dir (made once, mode 0600)."""
        if self.token:
            return self.token
        path = self.data_dir / "token"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
        return token


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; comments, blanks and ``export`` prefixes are allowed."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(ENV_FILE_TEMPLATE)
        return {}
    env: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env
