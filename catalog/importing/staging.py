"""Uploads kept on the server between an import's preview and its confirmation.

The preview page carries only a token; confirming reads the staged bytes again, with the
permissions of the person confirming, and prepares them afresh before writing. The browser
never sends the file twice, so any file the upload form accepts can be confirmed.
"""

import secrets
from datetime import timedelta

from django.utils import timezone

from catalog.models import StagedImport

LIFETIME = timedelta(hours=2)


def stage(user, filename: str, data: bytes, *, plan=None, create_plans: bool = False) -> str:
    """Keep ``data`` for ``user`` and return the token that names it."""
    discard_expired()
    staged = StagedImport.objects.create(
        token=secrets.token_urlsafe(32),
        user=user,
        plan=plan,
        filename=filename[:255],
        content=data,
        create_plans=create_plans,
        expires_at=timezone.now() + LIFETIME,
    )
    return staged.token


def staged_upload(token: str, user, *, plan=None) -> StagedImport | None:
    """The upload ``token`` names, if ``user`` staged it for ``plan`` and it has not expired."""
    if not token or len(token) > 64:
        return None
    return StagedImport.objects.filter(
        token=token, user=user, plan=plan, expires_at__gt=timezone.now()
    ).first()


def discard(staged: StagedImport) -> None:
    StagedImport.objects.filter(pk=staged.pk).delete()


def discard_expired() -> int:
    deleted, _by_model = StagedImport.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
