"""Admin search that reads text as the public search does.

Every space-separated term is folded by the catalog's one rule (``catalog.text.compact``: NFKC,
lower case, letters and digits only), so ``2025-2029`` finds a title written ``2025–2029``,
``스마트 가로등`` finds ``스마트가로등`` and ``ＣＣＴＶ`` finds ``CCTV``. Each term must match
somewhere (a service's name or description, its plan's title, its local government's name or
code). Service text is matched on the folded columns the public search keeps; plan titles and
local-government names are folded here, a few thousand short strings per search.
"""

from django.db.models import Q

from catalog.models import Municipality, Plan
from catalog.search import MAX_TERM_LENGTH, MAX_TERMS
from catalog.text import compact


def folded_terms(search_term: str) -> dict[str, str]:
    """Each term folded, with the word as typed: ``{"20252029": "2025-2029"}``."""
    terms: dict[str, str] = {}
    for word in search_term.split():
        term = compact(word)[:MAX_TERM_LENGTH]
        if term:
            terms.setdefault(term, word)
    return dict(list(terms.items())[:MAX_TERMS])


class FoldedNames:
    """Primary keys and folded texts of a table's rows, to find which contain a term."""

    def __init__(self, rows):
        self.rows = [(pk, compact(" ".join(filter(None, texts)))) for pk, *texts in rows]

    def containing(self, term: str) -> list[int]:
        return [pk for pk, text in self.rows if term in text]


def municipality_names() -> FoldedNames:
    """Local governments by name with their 시·도 (``경기도 고양시``) and by code."""
    return FoldedNames(Municipality.objects.values_list("pk", "parent__name", "name", "code"))


def plan_titles() -> FoldedNames:
    return FoldedNames(Plan.objects.values_list("pk", "title"))


def search_plans(queryset, search_term: str):
    terms = folded_terms(search_term)
    if not terms:
        return queryset
    titles, places = plan_titles(), municipality_names()
    for term, word in terms.items():
        queryset = queryset.filter(
            Q(pk__in=titles.containing(term))
            | Q(municipality__in=places.containing(term))
            | Q(note__icontains=word)
        )
    return queryset


def search_services(queryset, search_term: str):
    terms = folded_terms(search_term)
    if not terms:
        return queryset
    titles, places = plan_titles(), municipality_names()
    for term in terms:
        queryset = queryset.filter(
            Q(search_text__contains=term)
            | Q(plan__in=titles.containing(term))
            | Q(plan__municipality__in=places.containing(term))
        )
    return queryset
