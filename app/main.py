"""CLI: ``wallfacer [--headless] [--addr HOST:PORT] [--data-dir DIR] [REPO...]``.

Every flag has an environment fallback, listed beside it, so a service
manager or a container can configure the app without a command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import logging.handlers
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path

import platformdirs

from app import commands
from app.commands import SUBCOMMANDS
from app.environment import APP_NAME, data_dir, env
from app.instance import DataDirLock, InUse
from runner.agents import AGENTS
from runner.errors import NotARepository
from runner.repos import inspect_repo
from server.config import RuntimeConfig, validate
from server.credentials import auth_configured
from server.errors import ApiError
from server.settings import Settings, UnresolvableHost
from server.store import Store

log = logging.getLogger(APP_NAME)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=APP_NAME,
        usage=f"%(prog)s [options] [REPO ...]\n       %(prog)s {{{','.join(SUBCOMMANDS)}}} ...",
        description="Run AI coding agents as tasks on a Kanban board: serve the board for\n"
        "the given repositories, in a desktop window or --headless.",
        epilog="subcommands (wallfacer SUBCOMMAND --help for their options):\n"
        + "".join(f"  {name:<10}{line}\n" for name, line in SUBCOMMANDS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("repos", nargs="*", metavar="REPO", help="git repositories to register")
    p.add_argument("--headless", action="store_true", help="serve only: no tray, no window")
    p.add_argument(
        "--addr",
        default=env("ADDR", "127.0.0.1:8080"),
        help="HOST:PORT to bind (WALLFACER_ADDR; default 127.0.0.1:8080; port 0 picks one)",
    )
    p.add_argument(
        "--data-dir",
        default=data_dir(),
        help="store, worktrees, token and env file (WALLFACER_DATA_DIR)",
    )
    p.add_argument(
        "--log-dir",
        default=env("LOG_DIR", platformdirs.user_log_dir(APP_NAME)),
        help="rotating log files (WALLFACER_LOG_DIR)",
    )
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=env("LOG_FORMAT", "text"),
        help="log lines as text or JSON (WALLFACER_LOG_FORMAT)",
    )
    p.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        default=[h for h in (env("ALLOWED_HOSTS") or "").split(",") if h],
        help="a public name the server answers to; repeatable "
        "(WALLFACER_ALLOWED_HOSTS, comma-separated)",
    )
    p.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDR",
        default=[a.strip() for a in (env("TRUSTED_PROXY") or "").split(",") if a.strip()],
        help="a reverse proxy's address or network, whose X-Forwarded-For names the "
        "client; repeatable (WALLFACER_TRUSTED_PROXY, comma-separated)",
    )
    p.add_argument(
        "--tls-cert",
        default=env("TLS_CERT"),
        help="serve HTTPS with this certificate (WALLFACER_TLS_CERT)",
    )
    p.add_argument(
        "--tls-key",
        default=env("TLS_KEY"),
        help="the certificate's private key (WALLFACER_TLS_KEY)",
    )
    # Runtime settings: a flag or its variable pins the value for this run;
    # otherwise the value saved from the board's settings dialog applies.
    p.add_argument(
        "--image",
        help="Claude's sandbox image, whose ENTRYPOINT is the CLI (WALLFACER_IMAGE; "
        "default: the bundled one, built on first use)",
    )
    p.add_argument(
        "--image-base",
        default=env("IMAGE_BASE"),
        help="base image for building the bundled sandbox images (WALLFACER_IMAGE_BASE)",
    )
    p.add_argument("--cpus", type=float, help="CPUs per task (WALLFACER_CPUS)")
    p.add_argument("--memory", help="memory per task, e.g. 4g (WALLFACER_MEMORY)")
    p.add_argument("--network", help="container network mode (WALLFACER_NETWORK)")
    p.add_argument(
        "--timeout",
        type=float,
        dest="timeout_min",
        help="minutes before a run is stopped (WALLFACER_TIMEOUT_MIN; default 60)",
    )
    p.add_argument(
        "--max-parallel", type=int, help="tasks running at once (WALLFACER_MAX_PARALLEL; default 4)"
    )
    p.add_argument(
        "--egress",
        choices=("none", "open", "allowlist"),
        help="what task containers may reach: nothing, anything, or allowed hosts through "
        "a proxy (WALLFACER_EGRESS; default allowlist)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        dest="egress_allow",
        metavar="HOST",
        help="a host (or *.suffix) tasks may reach in allowlist mode, beyond the agents' APIs "
        "and the common package registries; repeatable (WALLFACER_ALLOW_HOSTS, comma-separated)",
    )
    p.add_argument(
        "--pids-limit",
        type=int,
        help="processes per task container (WALLFACER_PIDS_LIMIT; default 1024)",
    )
    args = p.parse_args(argv)
    try:
        args.host, args.port = split_addr(args.addr)
    except ValueError as exc:
        p.error(str(exc))
    try:
        args.trusted_proxies = tuple(ip_network(a, strict=False) for a in args.trusted_proxy)
    except ValueError as exc:
        p.error(f"--trusted-proxy takes an IP address or network: {exc}")
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    try:
        args.config, args.pinned = runtime_config(args)
    except (ApiError, ValueError) as exc:
        p.error(str(exc))
    return args


_RUNTIME_ENV: dict[str, tuple[str, Callable[[str], object]]] = {
    "image": ("IMAGE", str),
    "cpus": ("CPUS", float),
    "memory": ("MEMORY", str),
    "network": ("NETWORK", str),
    "timeout_min": ("TIMEOUT_MIN", float),
    "max_parallel": ("MAX_PARALLEL", int),
    "pids_limit": ("PIDS_LIMIT", int),
    "egress": ("EGRESS", str),
    "egress_allow": ("ALLOW_HOSTS", lambda text: [h for h in text.split(",") if h.strip()]),
}


def runtime_config(args: argparse.Namespace) -> tuple[RuntimeConfig, frozenset[str]]:
    """Flags, then their variables: whatever either sets is pinned for this run."""
    values: dict[str, object] = {}
    for name, (var, kind) in _RUNTIME_ENV.items():
        value, fallback = getattr(args, name), env(var)
        if value is None and fallback:
            value = kind(fallback)
        if value is not None:
            values[name] = validate(name, value)
    return replace(RuntimeConfig(), **values), frozenset(values)  # type: ignore[arg-type]


def split_addr(addr: str) -> tuple[str, int]:
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--addr must be HOST:PORT, got {addr!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(log_dir: Path, log_format: str) -> None:
    """Rotating files in the OS log dir (5 x 5 MB), and stderr."""
    log_dir.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(
            log_dir / "wallfacer.log", maxBytes=5 * 1024 * 1024, backupCount=5
        ),
        logging.StreamHandler(sys.stderr),
    ]
    formatter = (
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=handlers)


def settings_from(args: argparse.Namespace) -> Settings:
    repos = []
    for raw in args.repos:
        try:
            repos.append(inspect_repo(raw).path)
        except NotARepository as exc:
            raise SystemExit(f"wallfacer: {exc}") from exc
    return Settings(
        data_dir=Path(args.data_dir).expanduser().resolve(),
        host=args.host,
        port=args.port,
        repos=tuple(repos),
        token=env("TOKEN"),
        config=args.config,
        pinned=args.pinned,
        allowed_hosts=tuple(args.allowed_host),
        trusted_proxies=args.trusted_proxies,
        tls_cert=Path(args.tls_cert) if args.tls_cert else None,
        tls_key=Path(args.tls_key) if args.tls_key else None,
        image_base=args.image_base,
        agent_binaries={
            agent: Path(path) for agent in AGENTS if (path := env(f"{agent.upper()}_BINARY"))
        },
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        return commands.run(argv)
    args = parse_args(argv)
    settings = settings_from(args)
    setup_logging(Path(args.log_dir).expanduser(), args.log_format)
    refusal = exposure_refusal(settings)
    if refusal:
        print(f"wallfacer: {refusal}", file=sys.stderr)
        return 2
    log.info("data dir %s; API token in %s", settings.data_dir, settings.data_dir / "token")
    if not args.headless:
        from app.desktop import run_desktop

        return run_desktop(settings)
    try:
        with DataDirLock(settings.data_dir):
            return run_headless(settings)
    except InUse as exc:
        print(f"wallfacer: {exc}", file=sys.stderr)
        return 1


def exposure_refusal(settings: Settings) -> str | None:
    """Anyone who reaches the server can run code on the repos: no public bind without auth."""
    try:
        if settings.loopback:
            return None
    except UnresolvableHost as exc:
        return f"{exc}; check --addr"
    store = Store(settings.db_path)
    try:
        if auth_configured(store, explicit_token=settings.token is not None):
            return None
    finally:
        store.close()
    return (
        f"refusing to listen on {settings.host} without auth. Set a password "
        "(`wallfacer passwd`), create an API token (`wallfacer token create`), "
        "or set WALLFACER_TOKEN; then start again"
    )


def show_signin(url: str, signin_url: str) -> None:
    """Printed, never logged: the link signs one browser in, once."""
    print(f"Wallfacer is serving on {url}", flush=True)
    print(f"Open the board (this link works once): {signin_url}", flush=True)


def run_headless(settings: Settings) -> int:
    from server.app import serve

    async def until_signalled() -> None:
        loop = asyncio.get_running_loop()
        serving = asyncio.current_task()
        assert serving is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, serving.cancel)
        try:
            await serve(settings, on_ready=lambda url, signin: show_signin(url, signin("browser")))
        except asyncio.CancelledError:
            log.info("stopped")

    try:
        asyncio.run(until_signalled())
    except OSError as exc:
        log.error("cannot serve on %s:%s: %s", settings.host, settings.port, exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
