"""procrastinate's own tables on PostgreSQL, installed by ``migrate`` (apart from ``jobs`` so that ``db`` needs
nothing of the job queue itself)."""

from __future__ import annotations

from sqlalchemy import Connection

SCHEMA_LOCK = 7_214_301  # advisory lock id: one server at a time installs procrastinate's schema


def install_queue_schema(connection: Connection) -> None:
    """procrastinate's tables and functions, once per database (every ``migrate`` on PostgreSQL calls this).

    An advisory lock makes servers that start together take turns; whoever comes second finds the tables there.
    """
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
    if connection.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar() is not None:
        return
    from procrastinate.schema import SchemaManager

    connection.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
