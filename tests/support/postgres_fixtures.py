"""Pytest fixtures over the throwaway PostgreSQL server; register with `pytest_plugins`.

A missing or broken PostgreSQL fails the tests that need it, with the reason: it never skips them.
"""

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.support.postgres import PostgresHarnessError, PostgresServer, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's server, started on first use; `stop()` and `start()` it to test an outage."""
    with ExitStack() as stack:
        failure: str | None = None
        try:
            server = stack.enter_context(running_postgres())
        except PostgresHarnessError as e:
            failure = f"The test PostgreSQL server could not start: {e}"
        if failure is not None:  # outside the `except`, so the report shows the reason and no traceback
            pytest.fail(failure, pytrace=False)
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """An asyncpg URL to the session's database, shared by every test that uses it."""
    return postgres_server.url()


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """An asyncpg URL to a new, empty database of this test's own, dropped after it."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
