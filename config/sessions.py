"""Database sessions that treat a malformed session key as no session at all.

Django's keys are 32 lower-case letters and digits. A forged cookie can carry anything; one
with a NUL character would make PostgreSQL refuse the lookup query outright (a 500 error)
instead of finding nothing.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(super()._validate_session_key(key) and key.isascii() and key.isalnum())
