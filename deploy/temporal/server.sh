#!/bin/sh
# The server image reads its database password from POSTGRES_PWD only: take
# it from the secret file, so it never sits in the container's configuration
# (docker inspect), then start the image's own entrypoint.
set -eu
POSTGRES_PWD="$(cat "$POSTGRES_PWD_FILE")"
export POSTGRES_PWD
unset POSTGRES_PWD_FILE
exec /etc/temporal/entrypoint.sh "$@"
