"""Environment fallbacks for the command line: every flag's WALLFACER_* variable,
and the default data dir, shared by the server's flags and the subcommands."""

from __future__ import annotations

import os

import platformdirs

APP_NAME = "wallfacer"


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"WALLFACER_{name}", default)


def data_dir() -> str:
    return env("DATA_DIR") or platformdirs.user_data_dir(APP_NAME)
