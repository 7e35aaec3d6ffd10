#!/bin/sh
# The allowlist arrives as regexes (made and checked by runner/egress.py), so
# a changed list needs a new container, never a rebuilt image. With
# EGRESS_REVERSE (the app's http:// URL, runner/swarmnet.py) a second,
# reverse-only proxy on port 8889 passes /api/ship/ on to it and nothing else:
# busybox's wget turns a POST through a proxy into a GET, so a run's own
# transfers come to it as to the app. The app's host is never on the forward
# proxy's list, which would open every port of that host to the agent.
set -eu
printf '%s\n' "${EGRESS_FILTER:-}" > /tmp/egress.filter
if [ -n "${EGRESS_REVERSE:-}" ]; then
  {
    printf 'Port 8889\nTimeout 900\nMaxClients 200\nLogLevel Connect\n'
    printf 'DisableViaHeader Yes\nReverseOnly Yes\n'
    printf 'ReversePath "/api/ship/" "%s/api/ship/"\n' "$EGRESS_REVERSE"
  } > /tmp/reverse.conf
  tinyproxy -d -c /tmp/reverse.conf &
fi
exec tinyproxy -d -c /etc/wallfacer-egress/tinyproxy.conf
