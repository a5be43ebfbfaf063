"""The catalog's revision number, and the signals that move it.

Every save or delete of a service, plan, category, sub-group, tag or municipality, and every
change of a service's tags, moves the number inside the writing transaction. Writes that skip
model signals (``bulk_create``, ``queryset.update``) call :func:`bump` themselves.
"""

import hashlib
import logging

from django.core.cache import caches
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

SINGLETON = 1
CACHE_SECONDS = 3600
# Entries for a free-text search live briefly: one-off queries must not push out the facet
# counts every visitor shares.
SEARCH_CACHE_SECONDS = 120

logger = logging.getLogger(__name__)


def current() -> int:
    from catalog.models import CatalogRevision

    number = CatalogRevision.objects.filter(pk=SINGLETON).values_list("number", flat=True)
    return next(iter(number), 0)


def bump() -> None:
    from catalog.models import CatalogRevision

    moved = CatalogRevision.objects.filter(pk=SINGLETON).update(number=F("number") + 1)
    if not moved:
        CatalogRevision.objects.get_or_create(pk=SINGLETON, defaults={"number": 1})


def _on_change(sender, **kwargs) -> None:
    bump()


def _on_tags_change(sender, action, **kwargs) -> None:
    if action.startswith("post_"):
        bump()


def connect() -> None:
    from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag

    for model in (Service, Plan, Category, SubCategory, Tag, Municipality):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"revision-save-{model.__name__}")
        post_delete.connect(
            _on_change, sender=model, dispatch_uid=f"revision-delete-{model.__name__}"
        )
    m2m_changed.connect(_on_tags_change, sender=Service.tags.through, dispatch_uid="revision-tags")


def cached(
    namespace: str,
    state: str,
    compute,
    timeout: int = CACHE_SECONDS,
    alias: str = "default",
    number: int | None = None,
):
    """``compute()``'s result, cached (in cache ``alias``) for this revision of the catalog and
    this ``state``.

    Any change to the data moves the revision, so a cached figure is never served after the
    data it was computed from has changed; ``timeout`` only bounds memory. ``number`` is the
    revision when the caller has just read it.
    """
    digest = hashlib.blake2b(state.encode(), digest_size=16).hexdigest()
    key = f"{namespace}:{current() if number is None else number}:{digest}"
    store = caches[alias]
    try:
        value = store.get(key)
    except Exception:  # a cache server that is down or full must never fail a page
        logger.warning("Cache %r unavailable; computing %s without it.", alias, namespace)
        return compute()
    if value is None:
        value = compute()
        try:
            store.set(key, value, timeout)
        except Exception:
            logger.warning("Cache %r unavailable; %s not kept.", alias, namespace)
    return value
