# Wallfacer's wrapper entrypoint: the steps before the agent, then the agent.
#
# Run as `/bin/sh ENTRY AGENT [ARG...]`, where AGENT and ARGs are the image's
# own ENTRYPOINT and its CMD (or the app's args): once the steps are done the
# wrapper execs them, so the image's ENTRYPOINT stays the agent.
#
# Each file in the steps/ folder beside this one runs with /bin/sh, in name order,
# from the workspace, stdin from /dev/null. A step's name is its file name past
# the first "-" ("01-setup" is "setup"); each line it prints, on stdout or
# stderr, goes to stdout (the task's log) as "[name] line". A step that fails
# ends the container with exit code 97, its name, exit code and last lines
# on stderr, and the agent never starts.
#
# $WALLFACER_PREFIX is a writable prefix kept with the task's home; its bin/
# is put first on PATH, for the steps and the agent.

BOOT=${0%/*}
PATH="$WALLFACER_PREFIX/bin:$PATH"
export PATH
out=/tmp/.wallfacer-step.$$
for step in "$BOOT"/steps/*; do
  [ -f "$step" ] || continue
  name=${step##*/}
  name=${name#*-}
  : >"$out.log"
  { /bin/sh "$step" </dev/null 2>&1; echo "$?" >"$out.code"; } | while IFS= read -r line || [ -n "$line" ]; do
    printf '[%s] %s\n' "$name" "$line"
    printf '%s\n' "$line" >>"$out.log"
  done
  code=1
  read -r code <"$out.code"
  if [ "$code" != 0 ]; then
    echo "the $name step failed with exit code $code before the agent started; its last lines:" >&2
    tail -n 10 "$out.log" >&2
    exit 97
  fi
done
rm -f "$out.log" "$out.code"
exec "$@"
