"""Asking for a referral PDF, in the caller's transaction: a row in the ``jobs`` table on SQLite, a procrastinate job
on PostgreSQL (see ``jobs`` for the workers that do the work). Nothing here renders, so the routes and the store
can ask without importing the renderer."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .db import Job, Pdf, table, utcnow

PDF = "pdf"  # the kind of job in the jobs table
PDF_TASK = "render_referral_pdf"  # the procrastinate task
QUEUED = "jobs_queued"  # key in Session.info: this transaction queued a job (wake the worker on commit)


def queue_pdf(db: Session, submission_id: str) -> None:
    """Ask for the referral PDF of a new submission, in the caller's transaction."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        _defer(db, submission_id)
        return
    now = utcnow()
    values = {"kind": PDF, "submission_id": submission_id, "created_at": now, "due_at": now}
    connection.execute(_NEW_JOB, {**values, "attempts": 0, "last_error": ""})
    db.info[QUEUED] = True


_NEW_JOB = insert(table(Job))  # compiled once; each job's values go as parameters


def pdf_is_ready(db: Session, submission_id: str) -> bool:
    return db.scalar(select(Pdf.submission_id).where(Pdf.submission_id == submission_id)) is not None


def ask_again(db: Session, submission_id: str) -> None:
    """Someone waits for a PDF that is not there: make sure it is on its way, due now (a job lost, given up or
    backing off after a failure is queued again). A worker still renders it only once."""
    if _on_postgres(db):
        from procrastinate.exceptions import AlreadyEnqueued

        try:
            with db.begin_nested():
                _defer(db, submission_id)
        except AlreadyEnqueued:
            pass  # one is waiting already
        return
    now = utcnow()
    db.execute(
        sqlite.insert(Job)
        .values(kind=PDF, submission_id=submission_id, created_at=now, due_at=now, attempts=0, last_error="")
        .on_conflict_do_update(index_elements=["kind", "submission_id"], set_={"due_at": now, "done_at": None})
    )
    db.info[QUEUED] = True


def _on_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _defer(db: Session, submission_id: str) -> None:
    """A procrastinate job on this session's own connection, so that it commits or rolls back with the caller."""
    from procrastinate import App, SyncPsycopgConnector

    connection = db.connection().connection.driver_connection  # psycopg's, inside the current transaction
    key = f"pdf:{submission_id}"
    App(connector=SyncPsycopgConnector()).configure_task(
        name=PDF_TASK, lock=key, queueing_lock=key, connection=connection, task_kwargs={"submission_id": submission_id}
    ).defer()


def preload(database_url: str) -> None:
    """Import procrastinate at start-up on PostgreSQL (~0.5 s), not in the first submission's request."""
    if make_url(database_url).get_backend_name() == "postgresql":
        import procrastinate  # noqa: F401
