"""Korean search that behaves the same on PostgreSQL and SQLite.

How a service matches a query:

* Text is normalised: Unicode NFKC, lower case, and everything that is not a letter or a digit
  removed — spaces included. So 스마트가로등 and 스마트 가로등 become the same string, and
  CCTV equals cctv.
* A query is split on spaces into terms (at most ``MAX_TERMS``, each cut to
  ``MAX_TERM_LENGTH``). Trailing particles (가로등을, 주차장에서) and trailing generic words
  (스마트가로등설치, 교통서비스) are cut from a term while enough letters remain, and a
  generic word standing alone is dropped when other terms remain. A term
  matches when its stem is a substring of the service's normalised name or description;
  every term must match.
* Relevance scores terms found in the name (as typed 2, as a stem 1), so name matches rank
  above description matches.

Substring search cannot use a B-tree, and PostgreSQL's pg_trgm cannot index two-syllable
Korean words. Both databases therefore index the set of character bigrams of the normalised
text: PostgreSQL as a ``simple``-configuration tsvector with a GIN index, SQLite as an FTS5
table kept in step by triggers. The index narrows the rows to those holding every bigram of
each stem; a ``LIKE`` on the normalised text then keeps only true substrings.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from catalog.text import compact

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
MIN_STEM_LENGTH = 2
FIELD_SEPARATOR = "|"  # never survives normalisation, so no term can span two fields

# Particles that rarely end a noun are cut whenever a stem of two letters remains; those
# that often do (보도, 통학로, 어린이) only when three remain, so 횡단보도 stays whole.
PARTICLES = (
    "에서",
    "으로",
    "에게",
    "까지",
    "부터",
    "처럼",
    "보다",
    "이나",
    "이랑",
    "을",
    "를",
    "은",
    "는",
    "에",
    "와",
)
AMBIGUOUS_PARTICLES = ("이", "가", "로", "의", "과", "도", "만")
GENERIC_SUFFIXES = ("서비스", "시스템", "플랫폼", "설치", "구축", "도입", "운영", "사업", "조성")
_SUFFIXES = sorted(
    [(suffix, MIN_STEM_LENGTH) for suffix in PARTICLES + GENERIC_SUFFIXES]
    + [(suffix, MIN_STEM_LENGTH + 1) for suffix in AMBIGUOUS_PARTICLES],
    key=lambda pair: len(pair[0]),
    reverse=True,
)
SQLITE_FTS_TABLE = "catalog_service_fts"
SEARCH_FIELDS = ("search_name", "search_text", "search_bigrams")


def normalize(text: str) -> str:
    """Lower-case letters and digits only: the form both documents and queries are kept in
    (``catalog.text.compact``, the project's one folding rule)."""
    return compact(text)


def stem(term: str) -> str:
    """Cut trailing particles and generic words while enough of the term remains."""
    for _ in range(3):
        for suffix, shortest_stem in _SUFFIXES:
            if term.endswith(suffix) and len(term) - len(suffix) >= shortest_stem:
                term = term[: -len(suffix)]
                break
        else:
            break
    return term


def bigrams(text: str) -> set[str]:
    if len(text) == 1:
        return {text}
    return {text[i : i + 2] for i in range(len(text) - 1)}


def document_fields(name: str, description: str) -> dict[str, str]:
    """The three search columns stored on a service, computed from its text."""
    name_text, description_text = normalize(name), normalize(description)
    tokens = bigrams(name_text) | bigrams(description_text)
    return {
        "search_name": name_text,
        "search_text": f"{name_text}{FIELD_SEPARATOR}{description_text}",
        "search_bigrams": " ".join(sorted(tokens)),
    }


@dataclass(frozen=True)
class Term:
    text: str  # the normalised word as typed
    stem: str  # what must be found


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(term.stem for term in self.terms)


def parse_query(raw: str) -> ParsedQuery:
    terms: dict[str, Term] = {}
    for word in (raw or "").split():
        text = normalize(word)[:MAX_TERM_LENGTH]
        if text and text not in terms:
            terms[text] = Term(text, stem(text))
        if len(terms) == MAX_TERMS:
            break
    # A generic word on its own (스마트 가로등 설치) is dropped as it is when attached
    # (스마트가로등설치), unless nothing else was asked.
    specific = tuple(term for term in terms.values() if term.text not in GENERIC_SUFFIXES)
    return ParsedQuery(specific or tuple(terms.values()))


def apply_search(queryset: QuerySet, query: ParsedQuery) -> QuerySet:
    """Services matching every term, annotated with ``relevance``."""
    if not query:
        return queryset
    for term in query.terms:
        queryset = _narrow_by_index(queryset, term.stem).filter(search_text__contains=term.stem)
    # A term found in the name as typed counts most, then as a stem; description matches 0.
    relevance = sum(
        (
            Case(
                When(search_name__contains=term.text, then=Value(2)),
                When(search_name__contains=term.stem, then=Value(1)),
                default=Value(0),
            )
            for term in query.terms
        ),
        Value(0),
    )
    return queryset.annotate(relevance=relevance)


def _narrow_by_index(queryset: QuerySet, term: str) -> QuerySet:
    grams = sorted(bigrams(term)) if len(term) > 1 else []
    if not grams:
        return queryset
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"'{gram}'" for gram in grams)
        return queryset.alias(search_vector=SearchVector("search_bigrams", config="simple")).filter(
            search_vector=SearchQuery(tsquery, search_type="raw", config="simple")
        )
    if connection.vendor == "sqlite":
        fts_query = " AND ".join(f'"{gram}"' for gram in grams)
        rowids = RawSQL(
            f"SELECT rowid FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s",
            (fts_query,),
        )
        return queryset.filter(Q(pk__in=rowids))
    return queryset
