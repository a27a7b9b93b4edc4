#!/bin/sh
# Runs once, when the postgres volume is first initialised: one role and
# database for the app, one role with two databases for Temporal.
# The passwords are secret files (docker-compose.yml, secrets:).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
	-v payouts_pw="$(cat "$PAYOUTS_DB_PASSWORD_FILE")" -v temporal_pw="$(cat "$TEMPORAL_DB_PASSWORD_FILE")" <<'SQL'
CREATE ROLE payouts LOGIN PASSWORD :'payouts_pw';
CREATE DATABASE payouts OWNER payouts;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
