"""The suite used to run on fakeredis:

    @pytest.fixture
    def redis_client():
        return fakeredis.FakeRedis()

Now the same fixture is a real server (pyredis's pytest plugin), flushed before each test,
and the app's own connect() reaches it through REDIS_URL."""
import pytest


@pytest.fixture
def redis_client(pyredis_client):
    return pyredis_client


@pytest.fixture(autouse=True)
def redis_url(pyredis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", pyredis_server.url)
