# Wallfacer's ship wrapper: a remote run's files in, the run, its files back out.
#
# Run as `/bin/sh -c SCRIPT ship COMMAND [ARG...]` on a node that sees nothing of
# the app's host (``runner.shipping``). It refuses to go on unless the kernel will
# never grant the agent more privileges (Swarm cannot ask for no-new-privileges
# per service: the node's daemon must run with --no-new-privileges), fetches the
# run's tar from $WALLFACER_SHIP_URL and unpacks it at /, runs COMMAND from
# $WALLFACER_WORKDIR, then sends /workspace and $HOME back (a tar, in base64) to
# the same URL with the same task token, and exits with COMMAND's code. While the
# app cannot be reached (a restart) each transfer is tried again, for 5 minutes,
# straight to the app (never through an egress proxy in the env). With
# $WALLFACER_ERRORS (a pod's termination message file: a pod's log mixes stderr
# into stdout) stderr is kept aside and its tail written there at the end.
# Exit codes of its own: 96 no-new-privileges is off, 95 the fetch failed, 98 the
# app refused the result.

auth="Authorization: Bearer $WALLFACER_SHIP_TOKEN"
if [ -n "${WALLFACER_ERRORS:-}" ]; then
  exec 2>>/tmp/.wallfacer-err
  trap 'tail -c 4000 /tmp/.wallfacer-err >"$WALLFACER_ERRORS"' EXIT
fi

# wget ARG...: retried while the app cannot be reached (it may be restarting; a run
# outlives it), never once it has answered with a refusal.
call() {
  tries=0
  while ! err=$(env -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY \
    wget -q --header "$auth" "$@" "$WALLFACER_SHIP_URL" 2>&1); do
    tries=$((tries + 1))
    case "$err" in *"server returned error"*) echo "$err" >&2; return 1 ;; esac
    [ "$tries" -lt 150 ] || { echo "$err" >&2; return 1; }
    sleep 2
  done
}

if ! grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/self/status; then
  echo "no-new-privileges is off on this node; start its dockerd with --no-new-privileges" >&2
  exit 96
fi
if ! call -O /tmp/.wallfacer-in.tar ||
  ! tar -x -f /tmp/.wallfacer-in.tar -C /; then
  echo "could not fetch the task's workspace from the app at $WALLFACER_SHIP_URL" >&2
  exit 95
fi
rm -f /tmp/.wallfacer-in.tar
for repo in /workspace/*/; do  # each shipped .git's index, from its commit
  [ -d "$repo.git" ] && command -v git >/dev/null 2>&1 && git -C "$repo" reset -q
done
cd "$WALLFACER_WORKDIR" || exit 95
"$@" </dev/null
code=$?
# Base64: busybox's wget posts a file as text, cut at its first NUL byte.
cd / && tar -c workspace "${HOME#/}" 2>/dev/null | base64 >/tmp/.wallfacer-out.b64
if ! call -O /dev/null --post-file /tmp/.wallfacer-out.b64; then
  echo "the app did not take back the task's workspace (see the task's log for why)" >&2
  exit 98
fi
exit "$code"
