"""The caches, from ``CACHE_URL``: each process's own memory by default (``make run``), or one
Redis server shared by every worker and machine (``redis://host:6379/0``).

Two caches: ``default`` for facet counts and national figures, ``figures`` for the analysis
panels. Entries are keyed by the catalog's revision (``catalog.revision``), so a shared cache is
never stale after a change, on any worker.
"""

import logging
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = ("redis", "rediss", "unix")

logger = logging.getLogger(__name__)


def cache_settings(url: str, *, default_entries: int, figure_entries: int) -> dict:
    """Django's ``CACHES`` for ``url`` (empty: per-process memory)."""
    if not url:
        return {
            "default": _memory("default", default_entries),
            "figures": _memory("figures", figure_entries),
        }
    if urlsplit(url).scheme not in REDIS_SCHEMES:
        raise ImproperlyConfigured(
            f"CACHE_URL must be a redis://, rediss:// or unix:// address, or empty for each "
            f"process's own memory; not {url!r}."
        )
    shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    return {
        "default": {**shared, "KEY_PREFIX": "catalog"},
        "figures": {**shared, "KEY_PREFIX": "figures"},
    }


def _memory(location: str, entries: int) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": location,
        "OPTIONS": {"MAX_ENTRIES": entries},
    }


def call_safely(store, method: str, *args, purpose: str):
    """``store.<method>(*args)``, but ``None`` when the cache is unavailable: a cache server that
    is down or full must never fail a page."""
    try:
        return getattr(store, method)(*args)
    except Exception:
        logger.warning("Cache unavailable for %s (%s).", purpose, method)
        return None
