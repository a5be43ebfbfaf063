"""One cache for every worker and machine: CACHE_URL, and a real Redis server in CI."""

import os

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from catalog import facet_index, revision
from catalog.filters import UNSEARCHED_SORTS
from config.caches import cache_settings

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def redis_is_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


needs_redis = pytest.mark.skipif(
    not os.environ.get("CI") and not redis_is_up(),
    reason="no Redis server here (CI starts one and runs these)",
)


def test_without_cache_url_each_process_keeps_its_own_memory_cache():
    caches = cache_settings("", default_entries=10, figure_entries=5)
    assert {c["BACKEND"] for c in caches.values()} == {
        "django.core.cache.backends.locmem.LocMemCache"
    }
    assert caches["figures"]["OPTIONS"]["MAX_ENTRIES"] == 5


def test_a_redis_url_gives_both_caches_one_server_under_their_own_prefixes():
    caches = cache_settings("redis://cache:6379/0", default_entries=10, figure_entries=5)
    assert {c["LOCATION"] for c in caches.values()} == {"redis://cache:6379/0"}
    assert caches["default"]["KEY_PREFIX"] != caches["figures"]["KEY_PREFIX"]


def test_an_unknown_cache_url_is_refused_at_start():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        cache_settings("memcached://x", default_entries=10, figure_entries=5)


def _redis(prefix: str) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": prefix,
    }


@needs_redis
@pytest.mark.django_db
def test_workers_share_what_one_of_them_computed_until_the_catalog_changes():
    assert redis_is_up(), f"CI must provide a Redis server at {REDIS_URL}"
    calls = []

    def compute():
        calls.append(1)
        return {"total": len(calls)}

    # two aliases, two connections to one server: two worker processes as Redis sees them
    workers = {"default": _redis("shared-test"), "other-worker": _redis("shared-test")}
    with override_settings(CACHES=workers):
        caches["default"].clear()
        try:
            assert revision.cached("facets", "state", compute) == {"total": 1}
            assert revision.cached("facets", "state", compute, alias="other-worker") == {"total": 1}
            assert len(calls) == 1
            revision.bump()  # any change: every worker recounts
            assert revision.cached("facets", "state", compute, alias="other-worker") == {"total": 2}
        finally:
            caches["default"].clear()


@needs_redis
@pytest.mark.django_db
def test_a_second_worker_loads_the_facet_index_from_redis(
    client, make_service, django_assert_num_queries
):
    assert redis_is_up(), f"CI must provide a Redis server at {REDIS_URL}"
    make_service("스마트 가로등")
    make_service("드론 순찰", status="operating")
    with override_settings(CACHES={"default": _redis("index-test")}):
        caches["default"].clear()
        try:
            built = facet_index.for_current_revision(UNSEARCHED_SORTS)
            facet_index.clear()  # a second worker process
            with django_assert_num_queries(1):  # the revision; the rows come from Redis
                loaded = facet_index.for_current_revision(UNSEARCHED_SORTS)
            assert loaded.revision == built.revision
            assert list(loaded.ids) == list(built.ids)
            response = client.get("/services/", {"status": "operating"})
            assert response.context["page"].paginator.count == 1
        finally:
            caches["default"].clear()


@pytest.mark.django_db
def test_a_cache_server_that_is_down_never_fails_a_page(client, make_service):
    make_service("스마트 가로등")
    down = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
    with override_settings(CACHES={"default": down, "figures": down}):
        response = client.get("/services/", {"category": "safety-disaster"})
    assert response.status_code == 200
    assert "스마트 가로등" in response.content.decode()


@pytest.mark.django_db
def test_search_counts_live_briefly_and_browsing_without_search_keeps_none(client, monkeypatch):
    timeouts = {}
    keep = revision.cached

    def recording(namespace, state, compute, timeout=revision.CACHE_SECONDS, **kwargs):
        timeouts[namespace, "q=" in state or "주차" in state] = timeout
        return keep(namespace, state, compute, timeout, **kwargs)

    monkeypatch.setattr(revision, "cached", recording)
    client.get("/services/", {"category": "transport"})
    client.get("/services/", {"q": "주차"})
    browse = {searched: t for (name, searched), t in timeouts.items() if name == "browse-facets"}
    # Without a search, counts come from the facet index, not from a cache entry per URL.
    assert browse == {True: revision.SEARCH_CACHE_SECONDS}
