"""The page cache in a Redis shared by the app server's workers (REDIS_URL).

Each test starts its own redis-server on 127.0.0.1, keeping nothing on disk,
as the README requires of the Redis in production.
"""

import logging
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from absence.models import Status
from kanonskolen import log_filters
from kanonskolen.settings import cache_settings
from tests.absence.helpers import register_many
from tests.factories import EntryFactory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server not found; install Debian's redis-server package.")
    port = _free_port()
    server = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _attempt in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail(f"redis-server did not start on 127.0.0.1:{port}")
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def shared_cache(redis_url):
    with override_settings(CACHES=cache_settings(redis_url, 3000)):
        yield redis.Redis.from_url(redis_url)


def _plan(client, pupil) -> str:
    response = client.get(reverse("schoolplan:plan", args=[pupil.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _without_tokens(page: str) -> str:
    # Each response masks the CSRF token afresh.
    start = 'name="csrfmiddlewaretoken" value="'
    parts = page.split(start)
    return parts[0] + "".join(part[part.index('"') :] for part in parts[1:])


def test_cache_without_redis_url_is_local():
    assert cache_settings(None, 500)["default"] == {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 500},
    }
    assert cache_settings("", 500)["default"]["BACKEND"].endswith("LocMemCache")


def test_cache_with_redis_url_ignores_errors():
    settings = cache_settings("redis://127.0.0.1:6390/2", 500)["default"]

    assert settings["BACKEND"] == "django_redis.cache.RedisCache"
    assert settings["LOCATION"] == "redis://127.0.0.1:6390/2"
    assert settings["OPTIONS"]["IGNORE_EXCEPTIONS"] is True


def test_plan_parts_are_stored_in_redis(shared_cache, client_for, teacher, pupil):
    EntryFactory(pupil=pupil, text="Læste højt for gruppen.")
    first = _plan(client_for(teacher), pupil)

    stored = {key.decode() for key in shared_cache.scan_iter("skoleplan:*")}
    with CaptureQueriesContext(connection) as queries:
        second = _plan(client_for(teacher), pupil)

    assert any(f"plan-front:{pupil.pk}:" in key for key in stored)
    assert any(f"plan-log:{pupil.pk}:" in key for key in stored)
    assert "Læste højt for gruppen." in second
    assert not any("schoolplan_entry" in query["sql"] for query in queries)
    assert _without_tokens(second) == _without_tokens(first)


def test_shared_page_follows_changes(shared_cache, client_for, teacher, pupil):
    client = client_for(teacher)
    _plan(client, pupil)

    EntryFactory(pupil=pupil, author=teacher, text="Skrevet bagefter.")
    register_many(pupil, [pupil.start_date], Status.UNLAWFUL, by=teacher)
    served = _plan(client, pupil)
    cache.clear()
    fresh = _plan(client, pupil)

    assert "Skrevet bagefter." in served
    assert _without_tokens(served) == _without_tokens(fresh)


@pytest.mark.parametrize("role", ["teacher", "leader"])
def test_redis_down_renders_pages_afresh(request, client_for, pupil, role, caplog):
    """An unreachable cache costs speed, not pages, and is logged once a minute."""
    down = f"redis://127.0.0.1:{_free_port()}/0"
    client = client_for(request.getfixturevalue(role))
    EntryFactory(pupil=pupil, text="Uden cache.")
    for repeat_filter in logging.getLogger("django_redis.cache").filters:
        repeat_filter.reset()

    with (
        override_settings(CACHES=cache_settings(down, 3000)),
        caplog.at_level(logging.ERROR, logger="django_redis.cache"),
    ):
        page = _plan(client, pupil)
        again = _plan(client, pupil)
        dashboard = client.get(reverse("absence:dashboard"))

    assert "Uden cache." in page
    assert "Uden cache." in again
    assert dashboard.status_code == (200 if role == "leader" else 403)
    assert caplog.text.count("Exception ignored") == 1


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord(
        "django_redis.cache", logging.ERROR, __file__, 1, message, None, None
    )


def test_repeat_filter_counts_dropped_repeats(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(log_filters.time, "monotonic", lambda: now[0])
    repeat_filter = log_filters.RepeatFilter(seconds=60)

    assert repeat_filter.filter(_record("Exception ignored"))
    assert not repeat_filter.filter(_record("Exception ignored"))
    assert not repeat_filter.filter(_record("Exception ignored"))
    assert repeat_filter.filter(_record("Another error"))
    now[0] += 61
    later = _record("Exception ignored")
    assert repeat_filter.filter(later)
    assert "and 2 more times since" in later.getMessage()
