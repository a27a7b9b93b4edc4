#!/bin/sh
# Runs once, when the postgres volume is first initialised: one role and
# database for the app, one role with two databases for Temporal.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
	-v payouts_pw="$PAYOUTS_DB_PASSWORD" -v temporal_pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE payouts LOGIN PASSWORD :'payouts_pw';
CREATE DATABASE payouts OWNER payouts;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
