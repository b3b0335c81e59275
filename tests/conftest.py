"""Shared fixtures: the small fixture corpus, a fake-embedder Advisor, the real-model Advisor.

Every index is built under a pytest tmp folder; the project's own data/ and corpus/ are
never written to.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("core_support")

from core_support import REAL_CORPUS, copy_fixture_corpus  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from services import PostgresServer, RedisServer  # noqa: E402

from advisor.engine import Advisor  # noqa: E402
from advisor.settings import Settings  # noqa: E402

# Deterministic property tests; no example database, and hypothesis's caches go to the
# system temp folder rather than a .hypothesis/ folder in the project.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "advisor-tests-hypothesis")
settings.register_profile(
    "advisor",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("advisor")


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    return copy_fixture_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def fake_advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """The fixture corpus indexed with the deterministic FakeEmbedder (model "fake")."""
    base = tmp_path_factory.mktemp("fake-advisor")
    corpus = copy_fixture_corpus(base / "corpus")
    return Advisor.load(Settings(corpus_dir=corpus, data_dir=base / "data", model="fake"))


@pytest.fixture(scope="session")
def real_advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """The project's corpus indexed with the real model: one build per session."""
    data = tmp_path_factory.mktemp("real-advisor") / "data"
    return Advisor.load(Settings(corpus_dir=REAL_CORPUS, data_dir=data))


# -- real PostgreSQL and Redis (tests/services.py): skipped, with the reason, where they cannot start
@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session, on a free 127.0.0.1 port."""
    try:
        server = PostgresServer().start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"PostgreSQL cannot start here: {exc}")
    yield server
    server.remove()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's server (the superuser's URL)."""
    return postgres.create_database()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis server of the test's own, on a free 127.0.0.1 port, a password required."""
    try:
        server = RedisServer().start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"Redis cannot start here: {exc}")
    yield server
    server.remove()
