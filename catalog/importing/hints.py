"""The end of an "unknown value" message: the values closest to what was written."""

import difflib
import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext as _

from catalog.text import compact

NEAREST_SHOWN = 3
NEAREST_CUTOFF = 0.6  # difflib's ratio over letters: 계회 → 계획, 드로온 → 드론, 교통수단 → 교통


def letters(text: str) -> str:
    """``text`` folded, with Hangul syllables taken apart into their letters (드론 → ㄷㅡㄹㅗㄴ),
    so that a typo inside a syllable (드로온, 계회) still counts as close."""
    return unicodedata.normalize("NFD", compact(text))


def nearest(raw: str, names: Iterable[str]) -> str:
    """`` 혹시 '계획'인가요?`` naming the names closest to ``raw``, or ``""`` when none is
    close."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(letters(name), str(name))
    close = difflib.get_close_matches(letters(raw), list(by_key), NEAREST_SHOWN, NEAREST_CUTOFF)
    if not close:
        return ""
    return " " + _("혹시 %(names)s인가요?") % {"names": ", ".join(f"'{by_key[k]}'" for k in close)}
