#!/bin/sh
# Wallfacer never waits on a permission prompt: the container is the sandbox.
exec claude --dangerously-skip-permissions "$@"
