"""CLI: ``wallfacer [--headless] [--addr HOST:PORT] [--data-dir DIR] [REPO...]``, or a
subcommand of ``app.commands``. The flags and their variables are in ``app.flags``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import logging.handlers
import signal
import sys
from collections.abc import Callable, Iterable
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

from app import commands
from app.commands import SUBCOMMANDS
from app.flags import APP_NAME, ENVIRONMENT_ONLY, RUNTIME, SERVER, add_flags, resolve
from app.handover import Served, hand_over, start_control
from app.instance import ControlServer, DataDirLock, InUse
from app.window_process import CHILD as WINDOW_CHILD
from runner.agents import AGENTS
from runner.backends import EGRESS_MODES
from runner.errors import NotARepository, RunnerError
from runner.kubemanifests import namespace, node_selector
from runner.repos import inspect_repo
from server.config import RuntimeConfig, merged, migrate, setting_names, validated
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
        epilog=_table(
            "subcommands (wallfacer SUBCOMMAND --help for their options)", SUBCOMMANDS.items()
        )
        + _table("environment only", ((f.var, f.help) for f in ENVIRONMENT_ONLY)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("repos", nargs="*", metavar="REPO", help="git repositories to register")
    p.add_argument("--headless", action="store_true", help="serve only: no tray, no window")
    add_flags(p, SERVER)
    add_flags(p, RUNTIME, "runtime settings (pinned for this run; else the board's saved ones)")
    args = p.parse_args(argv)
    resolve(p, args, (*SERVER, *RUNTIME, *ENVIRONMENT_ONLY))
    try:
        args.host, args.port = split_addr(args.addr)
    except ValueError as exc:
        p.error(str(exc))
    try:
        args.trusted_proxies = tuple(ip_network(a, strict=False) for a in args.trusted_proxy or ())
    except ValueError as exc:
        p.error(f"--trusted-proxy takes an IP address or network: {exc}")
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if args.advertise_url and urlsplit(args.advertise_url).scheme not in ("http", "https"):
        p.error("--advertise-url takes an http:// or https:// URL")
    if args.backend != "local" and not args.advertise_url:
        p.error(f"--backend {args.backend} needs --advertise-url: how its nodes reach the app")
    modes = EGRESS_MODES.get(args.backend, ())
    if args.egress and modes and args.egress not in modes:
        p.error(f"--backend {args.backend} takes --egress {' or '.join(modes)}, not {args.egress}")
    if args.backend == "kubernetes":
        try:
            node_selector(tuple(args.constraint or ()))
            namespace(args.namespace)
        except RunnerError as exc:
            p.error(str(exc))
    try:
        args.config, args.pinned = runtime_config(args)
    except (ApiError, ValueError) as exc:
        p.error(str(exc))
    return args


def _table(title: str, rows: Iterable[tuple[str, str]]) -> str:
    return f"\n{title}:\n" + "".join(f"  {name:<26}{line}\n" for name, line in rows)


def runtime_config(args: argparse.Namespace) -> tuple[RuntimeConfig, frozenset[str]]:
    """Whatever a flag or its variable set is pinned for this run."""
    values = {f.key: value for f in RUNTIME if (value := getattr(args, f.key)) is not None}
    clean = validated(migrate(values))
    return merged(RuntimeConfig(), clean), frozenset(setting_names(clean))


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
        token=args.token,
        config=args.config,
        pinned=args.pinned,
        allowed_hosts=tuple(args.allowed_host or ()) + advertised(args.advertise_url),
        trusted_proxies=args.trusted_proxies,
        tls_cert=Path(args.tls_cert) if args.tls_cert else None,
        tls_key=Path(args.tls_key) if args.tls_key else None,
        image_base=args.image_base,
        preview_host=args.preview_host.strip("[]"),
        backend=args.backend,
        advertise_url=args.advertise_url,
        constraints=tuple(args.constraint or ()),
        node_engines=tuple(args.node_engine or ()),
        namespace=args.namespace,
        agent_binaries={
            agent: Path(path) for agent in AGENTS if (path := getattr(args, f"{agent}_binary"))
        },
    )


def advertised(url: str | None) -> tuple[str, ...]:
    """The advertise URL's host, which task containers name in their requests."""
    host = urlsplit(url).hostname if url else None
    return (host,) if host else ()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [WINDOW_CHILD]:
        from app.window import run_child

        return run_child(*argv[1:4])
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
        handed = hand_over(settings) if settings.repos else None
        if handed is not None:
            return handed
        print(f"wallfacer: {exc}", file=sys.stderr)
        return 1


def exposure_refusal(settings: Settings) -> str | None:
    """Anyone who reaches the server can run code on the repos: no public bind without auth."""
    try:
        if settings.loopback and settings.advertise_url is None:
            return None
    except UnresolvableHost as exc:
        return f"{exc}; check --addr"
    store = Store(settings.db_path)
    try:
        if auth_configured(store, explicit_token=settings.token is not None):
            return None
    finally:
        store.close()
    where = settings.advertise_url or settings.host
    return (
        f"refusing to listen on {where} without auth. Set a password "
        "(`wallfacer passwd`), create an API token (`wallfacer token create`), "
        "or set WALLFACER_TOKEN; then start again"
    )


def show_signin(url: str, signin_url: str) -> None:
    """Printed, never logged: the link signs one browser in, once."""
    print(f"Wallfacer is serving on {url}", flush=True)
    print(f"Open the board (this link works once): {signin_url}", flush=True)


def run_headless(settings: Settings) -> int:
    from server.app import serve

    control: ControlServer | None = None

    def ready(url: str, signin: Callable[[str], str]) -> None:
        nonlocal control
        show_signin(url, signin("browser"))
        served = Served(settings, url, signin)
        control = start_control(settings, lambda line: served.answer(line) or "unknown command")

    async def until_signalled() -> None:
        loop = asyncio.get_running_loop()
        serving = asyncio.current_task()
        assert serving is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, serving.cancel)
        try:
            await serve(settings, on_ready=ready)
        except asyncio.CancelledError:
            log.info("stopped")
        finally:
            if control is not None:
                control.close()

    try:
        asyncio.run(until_signalled())
    except OSError as exc:
        log.error("cannot serve on %s:%s: %s", settings.host, settings.port, exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
