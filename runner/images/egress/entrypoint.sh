#!/bin/sh
# The allowlist arrives as regexes (made and checked by runner/egress.py), so
# a changed list needs a new container, never a rebuilt image.
set -eu
printf '%s\n' "${EGRESS_FILTER:-}" > /tmp/egress.filter
exec tinyproxy -d -c /etc/wallfacer-egress/tinyproxy.conf
