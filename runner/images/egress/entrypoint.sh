#!/bin/sh
# The allowlist arrives as regexes (made and checked by runner/egress.py), so
# a changed list needs a new container, never a rebuilt image. With
# EGRESS_REVERSE (the app's http:// URL, runner/swarmnet.py) the proxy also
# passes /api/ship/ on to it: busybox's wget turns a POST through a proxy into
# a GET, so a run's own transfers come to the proxy as to the app.
set -eu
printf '%s\n' "${EGRESS_FILTER:-}" > /tmp/egress.filter
config=/etc/wallfacer-egress/tinyproxy.conf
if [ -n "${EGRESS_REVERSE:-}" ]; then
  cp "$config" /tmp/tinyproxy.conf
  config=/tmp/tinyproxy.conf
  printf 'ReversePath "/api/ship/" "%s/api/ship/"\n' "$EGRESS_REVERSE" >> "$config"
fi
exec tinyproxy -d -c "$config"
