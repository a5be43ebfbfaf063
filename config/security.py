"""Hooks django-axes calls when it throttles admin logins (see settings, AXES_*)."""

import ipaddress

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers


def client_ip(request) -> str | None:
    """The address a login attempt comes from.

    The connection's address unless ``TRUSTED_PROXY_COUNT`` proxies stand in front of the
    app. Each of them appends the address it received the request from to X-Forwarded-For,
    so the client is the entry that many places from the right; anything further left was
    sent by the client and proves nothing. A header with too few or malformed entries did not
    come through the proxies as configured, and the connection's address is used instead.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxy_count = settings.TRUSTED_PROXY_COUNT
    if not proxy_count:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxy_count:
        return remote_addr
    candidate = forwarded[-proxy_count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


def lockout_response(request, original_response, credentials):
    """The page a locked-out login gets: why, and from when the user may try again.

    Every refused attempt restarts the cool-off
    (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so the lock lifts one cool-off
    after this attempt.
    """
    cool_off = get_cool_off(request)
    attempted_at = getattr(request, "axes_attempt_time", None) or timezone.now()
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": int(cool_off.total_seconds() // 60),
        "retry_at": attempted_at + cool_off,
    }
    response = render(request, "lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    add_never_cache_headers(response)
    return response
