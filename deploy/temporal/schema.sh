#!/bin/sh
# One-shot: create or upgrade Temporal's schemas with the admin-tools image
# of the same version as the server. Idempotent: setup-schema only adds the
# version tables, update-schema applies what is missing.
set -eu
# The password comes as a secret file; temporal-sql-tool reads SQL_PASSWORD.
SQL_PASSWORD="$(cat "$SQL_PASSWORD_FILE")"
export SQL_PASSWORD
for db in temporal visibility; do
	name=temporal
	[ "$db" = visibility ] && name=temporal_visibility
	temporal-sql-tool --database "$name" setup-schema -v 0.0
	temporal-sql-tool --database "$name" update-schema -d "/etc/temporal/schema/postgresql/v12/$db/versioned"
done
