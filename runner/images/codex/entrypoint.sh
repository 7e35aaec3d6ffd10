#!/bin/sh
# Wallfacer passes the subcommand and its flags (exec --json ...).
exec codex "$@"
