"""Fixtures for the web tests: a private PostgreSQL server, a database of each kind, the site in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import postgres
from helpers.definitions import EXAMPLES
from helpers.postgres import Server
from helpers.web import Site


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server | None]:
    if postgres.binaries() is None:
        if os.environ.get("SCREENING_REQUIRE_POSTGRES") == "1":
            pytest.fail("SCREENING_REQUIRE_POSTGRES=1 but PostgreSQL is not installed (apt-get install postgresql)")
        yield None
        return
    with postgres.running_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'screening.db'}"
    server = request.getfixturevalue("postgres_server")
    if server is None:
        pytest.skip("PostgreSQL is not installed here (CI installs it and runs these)")
    url: str = server.new_database()
    return url


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    from starlette.testclient import TestClient

    from screening.web.app import create_app
    from screening.web.settings import Settings

    # no worker in the background: a test that wants the PDFs runs the queued jobs itself (Site.run_jobs)
    settings = Settings.load(tmp_path / "data", database_url=database_url, run_jobs=False)
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        yield Site(client, app.state.services)
    app.state.services.engine.dispose()


@pytest.fixture
def physio_answers() -> dict[str, Any]:
    from screening.response import read_response_file

    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    answers: dict[str, Any] = data["answers"]
    return answers
