"""Every Korean UI text has its English, and the compiled catalogue matches the source."""

import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.M)


def po_entries(path: Path) -> dict[str, str]:
    def join(quoted: str) -> str:
        return (
            "".join(re.findall(r'"(.*)"', quoted))
            .encode()
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )

    text = path.read_text(encoding="utf-8")
    return {join(m[1]): join(m[2]) for m in ENTRY.finditer(text) if join(m[1])}


def test_english_catalogue_is_complete_and_not_fuzzy():
    po = LOCALE_DIR / "en/LC_MESSAGES/django.po"
    entries = po_entries(po)
    assert entries, "no messages found"
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in po.read_text(encoding="utf-8").split("\n\n", 1)[1]


def test_compiled_catalogue_matches_the_source():
    po = po_entries(LOCALE_DIR / "en/LC_MESSAGES/django.po")
    with (LOCALE_DIR / "en/LC_MESSAGES/django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [msgid for msgid, msgstr in po.items() if compiled.gettext(msgid) != msgstr]
    assert stale == [], "run: DEBUG=1 python manage.py compilemessages"
