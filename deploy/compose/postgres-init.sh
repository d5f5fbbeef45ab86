#!/bin/sh
# Run once by the postgres image on an empty data folder: Liaison's and Temporal's own roles and
# databases (passwords from compose's .env).
set -eu
psql -v ON_ERROR_STOP=1 --username postgres \
    -v liaison_pw="$LIAISON_DB_PASSWORD" -v temporal_pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE liaison LOGIN PASSWORD :'liaison_pw';
CREATE DATABASE liaison OWNER liaison;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
