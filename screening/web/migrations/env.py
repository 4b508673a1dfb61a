"""Alembic environment: migrations run on the connection handed over by ``screening.web.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from screening.web.db import Base
from screening.web.listing import is_schema_object

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=is_schema_object
    )
    with context.begin_transaction():
        context.run_migrations()
else:  # `alembic` run by hand with -x url=...
    url = context.get_x_argument(as_dictionary=True)["url"]
    with create_engine(url).connect() as own:
        context.configure(
            connection=own, target_metadata=Base.metadata, render_as_batch=True, include_name=is_schema_object
        )
        with context.begin_transaction():
            context.run_migrations()
        own.commit()
