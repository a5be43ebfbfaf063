"""Text folding: the one place that decides when two spellings are the same words.

Search, import (headers, field, tag and municipality names), category suggestion and the
duplication method all compare text through these functions, so a rule changed here changes
everywhere at once. The module imports nothing of Django, so pure code (``analysis.duplication``)
can use it too.
"""

import unicodedata

# Characters people put between the parts of a name (보건ㆍ의료ㆍ복지): the Hangul araea and
# its relatives. NFKC turns ㆍ (U+318D) into U+119E, which Unicode counts as a letter, so they
# are dropped by name rather than by category.
SEPARATOR_LETTERS = frozenset("\u318d\u119e\u11a2")


def fold(text: str | None) -> str:
    """Unicode NFKC and lower case; spaces and punctuation are kept (for splitting words)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def compact(text: str | None) -> str:
    """Letters and digits only, folded: ``스마트 가로등`` = ``스마트가로등``,
    ``ＣＣＴＶ`` = ``cctv``, ``보건·의료·복지`` = ``보건/의료/복지`` = ``보건의료복지``."""
    return "".join(ch for ch in fold(text) if ch.isalnum() and ch not in SEPARATOR_LETTERS)
