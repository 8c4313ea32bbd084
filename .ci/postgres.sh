#!/usr/bin/env bash
# A local PostgreSQL for the `postgres` dbt target, on Debian, as root (CI and developers).
#
#   eval "$(bash .ci/postgres.sh)"    # then BINESH_PG_* are set for dbt, binesh and the tests
#
# Installs PostgreSQL from Debian's packages when it is missing, creates and starts a cluster of
# the newest installed major version, and makes a login role and a database that the role owns.
# The role may create databases (the integration test makes one per run). The database sorts text
# bytewise (collation C, as DuckDB does) and its sessions run in UTC (as the DuckDB profile does),
# so both targets give the same answers. Safe to run again: a running cluster is left running,
# the role's password is set again, an existing database is kept.
# Stdout is only the `export` lines; progress goes to stderr.
#
# Role, password and database come from BINESH_PG_USER, BINESH_PG_PASSWORD and BINESH_PG_DBNAME
# (default binesh / binesh / binesh, the defaults of dbt_project/profiles.yml). The server
# listens on localhost only (Debian's default), where its pg_hba.conf asks for the password.
set -euo pipefail

PG_USER=${BINESH_PG_USER:-binesh}
PG_PASSWORD=${BINESH_PG_PASSWORD:-binesh}
PG_DBNAME=${BINESH_PG_DBNAME:-binesh}
CLUSTER=main

say() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    say "run as root (it installs packages and starts the server as the postgres user)"
    exit 1
fi

newest_version() {
    # The newest major version with a server binary (15, 16, ...), or nothing.
    local binary
    for binary in /usr/lib/postgresql/*/bin/postgres; do
        if [ -x "$binary" ]; then basename "$(dirname "$(dirname "$binary")")"; fi
    done | sort -n | tail -n 1
}

VERSION=$(newest_version)
if [ -z "$VERSION" ]; then
    say "installing PostgreSQL from Debian's packages"
    started=$(date +%s)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    VERSION=$(newest_version)
    say "installed PostgreSQL $VERSION in $(($(date +%s) - started)) s"
fi
if [ -z "$VERSION" ]; then
    say "no PostgreSQL server found under /usr/lib/postgresql after installing"
    exit 1
fi

# Debian's package creates the cluster `main`; create it if it is not there (removed, or a
# package installed with create_main_cluster = false).
if ! pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c' \
    | grep -q .; then
    say "creating cluster $VERSION/$CLUSTER"
    pg_createcluster "$VERSION" "$CLUSTER" >&2
fi
PORT=$(pg_lsclusters --no-header \
    | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')

if pg_ctlcluster "$VERSION" "$CLUSTER" status >/dev/null 2>&1; then
    say "cluster $VERSION/$CLUSTER is already running on port $PORT"
else
    say "starting cluster $VERSION/$CLUSTER on port $PORT"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

for _ in $(seq 60); do
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
        break
    fi
    sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    say "no connection on 127.0.0.1:$PORT after 30 s; see /var/log/postgresql/"
    exit 1
fi

# As the postgres superuser over the local socket (peer authentication). Values travel as psql
# variables and are quoted by format(%I, %L), so any name or password is safe.
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres \
    -v user="$PG_USER" -v password="$PG_PASSWORD" -v dbname="$PG_DBNAME" >&2 <<'SQL'
select format('create role %I login', :'user')
where not exists (select from pg_roles where rolname = :'user') \gexec
select format('alter role %I login createdb password %L', :'user', :'password') \gexec
select format(
    'create database %I owner %I template template0 encoding %L lc_collate %L lc_ctype %L',
    :'dbname', :'user', 'UTF8', 'C', 'C.UTF-8'
)
where not exists (select from pg_database where datname = :'dbname') \gexec
select format('alter database %I set timezone to %L', :'dbname', 'UTC') \gexec
SQL

say "PostgreSQL $VERSION ready: database $PG_DBNAME, role $PG_USER, on 127.0.0.1:$PORT"
printf 'export BINESH_PG_HOST=127.0.0.1\n'
printf 'export BINESH_PG_PORT=%s\n' "$PORT"
printf 'export BINESH_PG_USER=%q\n' "$PG_USER"
printf 'export BINESH_PG_PASSWORD=%q\n' "$PG_PASSWORD"
printf 'export BINESH_PG_DBNAME=%q\n' "$PG_DBNAME"
