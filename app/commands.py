"""Subcommands that manage a data dir without serving: tokens, the password, backups,
and a new sign-in link from the instance serving it.

Each takes ``--data-dir`` (or WALLFACER_DATA_DIR) like the server does, and
works while the server runs, except ``restore``, which needs it stopped, and
``open``, which needs it running.
"""

from __future__ import annotations

import argparse
import getpass
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from app.flags import DATA_DIR, add_flags, resolve
from app.handover import control_path
from app.instance import DataDirLock, InUse, send_control
from app.opener import has_display, open_with_os
from server.credentials import create_token, hash_password
from server.sessions import Epoch
from server.settings import Settings
from server.store import Store, make_private

# What ``wallfacer --help`` lists; each subcommand's parser takes its line from here.
SUBCOMMANDS = {
    "token": "API tokens for scripts and remote clients",
    "passwd": "set the browser sign-in password (read from stdin)",
    "backup": "copy the store to FILE, safely while serving",
    "restore": "replace the store with FILE (server stopped)",
    "open": "open a new one-time sign-in link in the browser (printed without a display)",
}
MIN_PASSWORD = 10


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wallfacer")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=SUBCOMMANDS[name], description=SUBCOMMANDS[name])

    actions = add("token").add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token; it is shown once")
    create.add_argument("--name", default="api", help="what the token is for")
    listing = actions.add_parser("list", help="tokens, without their secrets")
    revoke = actions.add_parser("revoke", help="stop a token from working")
    revoke.add_argument("id")
    passwd = add("passwd")
    backup = add("backup")
    backup.add_argument("file", type=Path)
    restore = add("restore")
    restore.add_argument("file", type=Path)
    opener = add("open")
    opener.add_argument("--print", action="store_true", help="print the link, even with a display")
    for leaf in (create, listing, revoke, passwd, backup, restore, opener):
        add_flags(leaf, [DATA_DIR])
    return p


def run(argv: list[str]) -> int:
    p = parser()
    args = p.parse_args(argv)
    resolve(p, args, [DATA_DIR])
    data_dir = Path(args.data_dir).expanduser().resolve()
    if args.command == "restore":
        return _restore(args.file, data_dir)
    if args.command == "backup":
        return _backup(data_dir, args.file)
    if args.command == "open":
        return _open(data_dir, printed=args.print or not has_display())
    store = Store(data_dir / "wallfacer.db")
    try:
        if args.command == "passwd":
            return _passwd(store, Epoch(data_dir))
        if args.action == "create":
            token_id, secret = create_token(store, args.name)
            print(f"token {token_id} ({args.name}); shown only now:\n{secret}")
        elif args.action == "list":
            for row in store.tokens():
                state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
                print(f"{row['id']}  {row['name']:<20} created {row['created_at']}  {state}")
        elif not store.revoke_token(args.id):
            print(f"wallfacer: no active token {args.id}", file=sys.stderr)
            return 1
        else:
            Epoch(data_dir).bump()  # a browser may have signed in with the token's help
            print(f"revoked {args.id}; browsers signed in before now are signed out")
        return 0
    finally:
        store.close()


def _passwd(store: Store, epoch: Epoch) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            print("wallfacer: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD:
        print(f"wallfacer: use at least {MIN_PASSWORD} characters", file=sys.stderr)
        return 1
    store.set_password(hash_password(password))
    epoch.bump()
    print("password set; browsers signed in before now are signed out")
    return 0


def _open(data_dir: Path, printed: bool) -> int:
    """The link comes from the running instance: only it can make one its server accepts."""
    link = send_control(control_path(Settings(data_dir=data_dir)), "signin")
    if link is None or not link.startswith(("http://", "https://")):
        print(
            f"wallfacer: no running Wallfacer serves {data_dir}; start it with `wallfacer` "
            "(it opens or prints a sign-in link itself)",
            file=sys.stderr,
        )
        return 1
    if printed:
        print(f"Open the board (this link works once): {link}")
    else:
        open_with_os(link)
        print("opened a one-time sign-in link in your browser")
    return 0


def _backup(data_dir: Path, target: Path) -> int:
    source = data_dir / "wallfacer.db"
    if not source.exists():
        print(f"wallfacer: no store in {data_dir}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    make_private(target)  # a copy of the store is as secret as the store
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # SQLite's online backup: consistent even while serving
    print(f"backed up {source} to {target}")
    return 0


def _restore(backup: Path, data_dir: Path) -> int:
    if not backup.is_file():
        print(f"wallfacer: {backup} does not exist", file=sys.stderr)
        return 1
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with DataDirLock(data_dir):
            target = data_dir / "wallfacer.db"
            if target.exists():  # nothing is ever lost: the old store is kept aside
                aside = data_dir / f"wallfacer.db.before-restore-{int(time.time())}"
                shutil.move(target, aside)
                print(f"kept the previous store as {aside}")
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            make_private(target)
            with sqlite3.connect(backup) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
    except InUse as exc:
        print(f"wallfacer: {exc}", file=sys.stderr)
        return 1
    print(f"restored {backup} into {data_dir}")
    return 0
