"""Connecting to PostgreSQL: the connection string from BINESH_PG_* (the dbt `postgres` target's
defaults), and errors that say where and what to set."""

from __future__ import annotations

import os
from collections.abc import Mapping

import psycopg2
from psycopg2.extensions import parse_dsn

from sources.readers import first_line

# The same defaults as the `postgres` target in dbt_project/profiles.yml.
ENV_DEFAULTS = {
    "BINESH_PG_HOST": "localhost",
    "BINESH_PG_PORT": "5432",
    "BINESH_PG_USER": "binesh",
    "BINESH_PG_PASSWORD": "binesh",
    "BINESH_PG_DBNAME": "binesh",
}
ENV_HINT = (
    "Start a server (`bash .ci/postgres.sh` installs and starts a local one and prints the "
    "variables) or point BINESH_PG_HOST, BINESH_PG_PORT, BINESH_PG_USER, BINESH_PG_PASSWORD and "
    "BINESH_PG_DBNAME at yours; see docs/operations.md, 'Running on PostgreSQL'."
)


class PostgresSyncError(RuntimeError):
    """The sync could not be done; the message says why and what to do."""


class PostgresUnavailable(PostgresSyncError):
    """The PostgreSQL server could not be reached or refused the connection."""


def postgres_dsn_from_env(env: Mapping[str, str] | None = None) -> str:
    """A libpq connection string from BINESH_PG_* (the defaults of the dbt `postgres` target)."""
    env = os.environ if env is None else env
    # set-but-empty counts as set, as dbt's env_var() does (an empty password stays empty)
    values = {key: env.get(key, default) for key, default in ENV_DEFAULTS.items()}
    parts = {
        "host": values["BINESH_PG_HOST"],
        "port": values["BINESH_PG_PORT"],
        "user": values["BINESH_PG_USER"],
        "password": values["BINESH_PG_PASSWORD"],
        "dbname": values["BINESH_PG_DBNAME"],
    }
    return " ".join(f"{key}={libpq_quote(value)}" for key, value in parts.items())


def libpq_quote(value: str) -> str:
    """A value for a libpq key=value connection string."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def connect(dsn: str | None = None, connect_timeout: int = 10):
    """A psycopg2 connection; an unreachable server or refused login says where and what to set."""
    dsn = postgres_dsn_from_env() if dsn is None else dsn
    try:
        return psycopg2.connect(
            dsn,
            connect_timeout=connect_timeout,
            application_name="binesh-sync",
            client_encoding="UTF8",
        )
    except psycopg2.OperationalError as error:
        raise PostgresUnavailable(
            f"cannot connect to PostgreSQL at {describe_dsn(dsn)}: {first_line(error)}. {ENV_HINT}"
        ) from error


def describe_dsn(dsn: str) -> str:
    """`host:port` as user `u`, database `d` (never the password)."""
    try:
        params = parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "(an unparsable connection string)"
    host = params.get("host") or params.get("hostaddr") or "localhost (default socket)"
    port = params.get("port") or "5432"
    user = params.get("user") or "(current OS user)"
    dbname = params.get("dbname") or user
    return f"{host}:{port} as user {user!r}, database {dbname!r}"
