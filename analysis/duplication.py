"""Cross-city duplication: group the services of different municipalities that are one idea.

A pure module: no Django, no database. It takes plain :class:`Record` values and returns
:class:`Cluster` values, so the same code runs in a management command, a notebook, a test or
the benchmark (``bench/dedup_scale.py``).

Method (every knob is a field of :class:`Parameters`, recorded with each run; the defaults were
chosen by cross-validation over the concepts of ``tests/analysis/labelled_services.csv``: a
setting is picked on the names of some concepts and scored on the names of the others):

1. **Normalise** each name and description: Unicode NFKC, lower case, years removed (2019,
   2025년, 2021년도), the service's own municipality cut from the start of a word in full or
   short form (고양시 / 고양, 부산광역시 수영구 / 부산 / 수영; never when one letter would be left,
   so 수영장 stays), punctuation and the araea (보건ㆍ의료) turned into spaces. Then generic
   words go:

   * ``generic_affixes`` (스마트, 지능형, IoT, 서비스, 시스템, 구축, 설치, 사업, 플랫폼 …), words
     that plans glue to others, are removed as words and from the start or end of a longer
     word. A word is read as ``affix* core affix*`` with the shortest core; protected compounds
     (``protected_words``: 스마트팜, 스마트폰 …) are never cut; a core shorter than
     ``min_core_chars`` keeps a placeholder ``*`` for what was cut. So 스마트가로등설치 → 가로등,
     스마트팜 → 스마트팜, 스마트폴 → *폴 (unlike 스마트팜, like 스마트 폴 설치).
   * ``generic_words`` (활용, 개발, 제공, 및, 등 …) and every word found as a separate word in at
     least ``generic_min_df`` of all names (and ``generic_min_count`` names) are removed only
     as whole words, because inside a word they are often part of it (재활용, 가로등, 등산로).

   A one-letter word is first joined to its neighbour (스마트 폴 → 스마트폴), the words are joined
   *without spaces*, so spacing never matters (스마트 횡단보도 = 스마트횡단보도 → 횡단보도), and
   ``equivalents`` and the domain lexicon write abbreviations, official terms and synonyms one
   way (증강현실 → ar, 홀몸 → 독거, 폐기물 → 쓰레기): leftmost and longest term first, a
   canonical spelling read whole (바닥신호등 stays), a term across words only where it begins
   or ends with a word (공공 가로등 holds no 공가), a term said twice in a row kept once.
2. **Group identical texts**: services whose normalised names are equal are one node (their
   similarity is 1), weighted by its number of services. Names with no letters left are skipped.
3. **Vectorise**: TF-IDF over character n-grams (``ngram_range``; single letters and letter
   pairs by default, since one Hangul syllable often carries a morpheme: this scored better in
   cross-validation than pairs alone or 2–3-grams), computed over the distinct normalised
   names, so a wording copied by many cities keeps its weight; the description has its own
   TF-IDF space and enters with ``description_weight``. Vectors are L2-normalised, so a dot
   product is a cosine similarity.
4. **Neighbours**: for each node, its ``neighbours`` most similar other nodes with cosine
   similarity at least ``similarity_threshold``, from sparse products computed ``chunk_size``
   rows at a time on ``workers`` threads (never a dense n × n matrix).
5. **Communities**: Leiden (Traag, Waltman & van Eck 2019, as implemented in igraph) optimising
   the Constant Potts Model with ``resolution`` on that graph, each edge weighted by its
   similarity times the number of service pairs it stands for. CPM keeps a group together only
   when its services are on average more similar to each other than the resolution (pairs that
   are not neighbours count as 0), so a chain A–B–C–D of pairwise look-alikes does not become
   one giant cluster. Randomness is seeded with ``seed``; the input order does not matter.
6. **Shared ideas**: only communities with services of at least ``min_municipalities``
   municipalities are returned (one city's near-duplicates are not shared; they may be in a
   cluster that another city's service joins). Each member carries its mean cosine similarity
   to the other members; the label is the shortest spelling of the most central wording,
   without its municipality and years.

:func:`evaluate` scores a labelled set by pair precision, recall and F1 over pairs of services of
different municipalities.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from catalog.text import SEPARATOR_LETTERS, compact, fold

METHOD = "char-ngram TF-IDF + domain lexicon + curation k-NN graph + Leiden/CPM"
METHOD_VERSION = 3

# Words that say "a smart-city project" and nothing about its idea, and that plans glue to
# other words (스마트가로등설치, 관제시스템, 교통서비스): removed as a word of their own, or at the
# start or end of a longer word (see ``Normaliser``).
GENERIC_AFFIXES: tuple[str, ...] = (
    "스마트",
    "스마트시티",
    "스마트도시",
    "시티",
    "스마트형",
    "지능형",
    "미래형",
    "차세대",
    "첨단",
    "iot",
    "사물인터넷",
    "ict",
    "서비스",
    "시스템",
    "플랫폼",
    "솔루션",
    "사업",
    "구축",
    "설치",
    "도입",
    "운영",
    "조성",
    "고도화",
    "기반",
    "시범",
    "확대",
    "확충",
)

# Generic words removed only where they stand as a word of their own, because inside a longer
# word they are often part of it (재활용, 재개발, 기반시설, 가로등, 등산로).
GENERIC_WORDS: tuple[str, ...] = (
    "체계",
    "추진",
    "개발",
    "강화",
    "제공",
    "보급",
    "활용",
    "연계",
    "및",
    "등",
    "위한",
    "통한",
    "이용한",
    "활용한",
)

# Compounds that begin or end with a generic word but name an idea of their own: never cut.
PROTECTED_WORDS: tuple[str, ...] = (
    "스마트팜",
    "스마트폰",
    "스마트워치",
    "스마트그리드",
    "스마트팩토리",
    "스마트스쿨",
    "스마트뱅킹",
    "스마트오더",
)

# Established equivalents (abbreviation or official term → one spelling), applied to the
# spacing-free text before comparison.
EQUIVALENTS: tuple[tuple[str, str], ...] = (
    ("증강현실", "ar"),
    ("가상현실", "vr"),
    ("인공지능", "ai"),
    ("와이파이", "wifi"),
    ("개인형이동장치", "pm"),
    ("전기자동차", "전기차"),
    ("홀몸", "독거"),
    ("어르신", "노인"),
)


@dataclass(frozen=True)
class Record:
    """One service of one municipality, as the clustering sees it."""

    id: int | str
    municipality_code: str
    name: str
    description: str = ""
    municipality_name: str = ""  # e.g. "고양시" or "부산광역시 수영구"; removed from the text


@dataclass(frozen=True)
class Parameters:
    """Every knob of the method. ``to_dict()`` records a run; ``from_dict()`` replays it.

    ``analysis.method_notes.PARAMETER_HELP`` explains each field for the method page.
    """

    ngram_range: tuple[int, int] = (1, 2)
    description_weight: float = 0.3
    use_lexicon: bool = True
    similarity_threshold: float = 0.1
    neighbours: int = 30
    resolution: float = 0.4
    min_municipalities: int = 2
    generic_min_df: float = 0.08
    generic_min_count: int = 30
    min_core_chars: int = 2
    sublinear_tf: bool = True
    max_ngram_df: float = 1.0
    seed: int = 20240501
    leiden_iterations: int = -1
    chunk_size: int = 500
    workers: int = 2
    generic_affixes: tuple[str, ...] = GENERIC_AFFIXES
    generic_words: tuple[str, ...] = GENERIC_WORDS
    protected_words: tuple[str, ...] = PROTECTED_WORDS
    equivalents: tuple[tuple[str, str], ...] = EQUIVALENTS

    def to_dict(self) -> dict:
        """JSON-ready; the same as ``dataclasses.asdict``."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Parameters:
        """Inverse of ``to_dict`` (also after a JSON round trip, which turns tuples into lists)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown parameters: {sorted(unknown)}")

        def tuples(value):
            return tuple(tuples(v) for v in value) if isinstance(value, list | tuple) else value

        return cls(**{key: tuples(value) for key, value in data.items()})


DEFAULT_PARAMETERS = Parameters()


@dataclass
class Cluster:
    """Services of two or more municipalities that are one idea."""

    members: list[tuple[int | str, float]]  # (record id, mean similarity to the other members)
    label: str
    municipality_codes: set[str] = field(default_factory=set)
    # why the members were grouped: see ``explain``
    explanation: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> list[int | str]:
        return [record_id for record_id, _ in self.members]


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?:년도|년)?(?![0-9])")
# Punctuation, and the letters Korean writing uses between the parts of a name (보건ㆍ의료)
_SEPARATORS = re.compile(rf"[\W_{''.join(sorted(SEPARATOR_LETTERS))}]+")
_ADMIN_SUFFIXES = ("특별자치시", "특별자치도", "특별시", "광역시", "시", "군", "구", "도")


@lru_cache(maxsize=4096)
def municipality_forms(municipality_name: str) -> tuple[str, ...]:
    """Full and short forms of a municipality's name, longest first.

    "부산광역시 수영구" → 부산광역시, 수영구, 부산, 수영; "충청남도" → 충청남도, 충남;
    "고양시" → 고양시, 고양. A short form of one letter (동구 → 동) is not used.
    """
    forms: set[str] = set()
    for part in fold(municipality_name).split():
        part = compact(part)
        if len(part) < 2:
            continue
        forms.add(part)
        for suffix in _ADMIN_SUFFIXES:
            if part.endswith(suffix) and len(part) > len(suffix):
                short = part[: -len(suffix)]
                if suffix == "도" and len(short) == 3:  # 충청남도 → 충남, 경상북도 → 경북
                    forms.add(short[0] + short[2])
                elif len(short) >= 2:
                    forms.add(short)
                break
    return tuple(sorted(forms, key=lambda s: (-len(s), s)))


def tokenize(text: str, municipality_name: str = "") -> list[str]:
    """Fold, drop years, split into words, and cut the municipality's own name from the start
    of a word when nothing or at least two letters remain (수영구 → 수영, but 수영장 stays)."""
    text = _YEAR.sub(" ", fold(text))
    tokens = [t for t in _SEPARATORS.sub(" ", text).split() if t]
    forms = municipality_forms(municipality_name) if municipality_name else ()
    if not forms:
        return tokens
    out = []
    for token in tokens:
        for form in forms:
            if token.startswith(form):
                rest = token[len(form) :]
                if not rest or len(rest) >= 2:
                    token = rest
                break
        if token:
            out.append(token)
    return out


class Normaliser:
    """Turns a name or description into the spacing-free text that is compared.

    * A word in ``generic_words`` is dropped (only a whole word: 등 in 가로등 stays).
    * A word is split as ``affix* core affix*``, each affix one of ``generic_affixes``, with the
      shortest core; protected compounds (스마트팜 …) are never cut. The word becomes its core:
      nothing if the core is empty or itself a generic word; the core if it has at least
      ``min_core_chars`` letters; otherwise (스마트폴 → 폴) the core behind one placeholder ``*``
      (→ ``*폴``), so it still differs from 스마트팜 but equals 스마트 폴 설치.
    * A one-letter word is first joined to the word before it (스마트 폴 → 스마트폴).
    * The words are joined without spaces and ``equivalents`` applied (증강현실 → ar).
    """

    def __init__(
        self,
        generic_affixes: Iterable[str] = GENERIC_AFFIXES,
        generic_words: Iterable[str] = GENERIC_WORDS,
        protected_words: Iterable[str] = PROTECTED_WORDS,
        min_core_chars: int = 2,
        equivalents: Iterable[tuple[str, str]] = EQUIVALENTS,
    ):
        self.generic_affixes = frozenset(filter(None, map(compact, generic_affixes)))
        self.generic_words = frozenset(filter(None, map(compact, generic_words)))
        self.protected_words = tuple(sorted(set(filter(None, map(compact, protected_words)))))
        self.min_core_chars = min_core_chars
        self.equivalents = tuple(
            (compact(a), compact(b))
            for a, b in equivalents
            if compact(a) and compact(a) != compact(b)
        )
        canonical_of: dict[str, str] = {}
        for variant, canonical in self.equivalents:
            canonical_of.setdefault(variant, canonical)
        # a canonical spelling is read whole, so a shorter variant inside it does not rewrite
        # it again: 바닥신호등 stays, although 바닥신호 is written 바닥신호등
        for canonical in sorted(set(canonical_of.values())):
            canonical_of.setdefault(canonical, canonical)
        self._canonical_of = canonical_of
        # one pass, longest term first: 쓰레기통 is not read as 쓰레기 + 통
        self._rewrite = (
            re.compile("|".join(map(re.escape, sorted(canonical_of, key=lambda v: (-len(v), v)))))
            if canonical_of
            else None
        )
        self._longest_affix = max(map(len, self.generic_affixes), default=0)
        self._cache: dict[str, str] = {}

    def _affix_splits(self, token: str) -> tuple[set[int], set[int]]:
        """Positions i where token[:i] is made of affixes, and j where token[j:] is."""
        n, longest, affixes = len(token), self._longest_affix, self.generic_affixes
        starts = {0}
        for i in range(1, n + 1):
            if any(i - m in starts and token[i - m : i] in affixes for m in range(1, longest + 1)):
                starts.add(i)
        ends = {n}
        for j in range(n - 1, -1, -1):
            if any(j + m in ends and token[j : j + m] in affixes for m in range(1, longest + 1)):
                ends.add(j)
        for word in self.protected_words:  # never cut into a protected compound
            at = token.find(word)
            while at >= 0:
                inside = range(at + 1, at + len(word))
                starts = {i for i in starts if i not in inside}
                ends = {j for j in ends if j not in inside}
                at = token.find(word, at + 1)
        return starts, ends

    def core(self, token: str) -> str:
        """One word without its generic parts (see the class docstring)."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        if token in self.generic_words or token in self.generic_affixes:
            result = ""
        elif self.generic_affixes:
            starts, ends = self._affix_splits(token)
            i, j = min(
                ((i, j) for i in starts for j in ends if i <= j),
                key=lambda ij: (ij[1] - ij[0], ij[0]),
            )
            core = token[i:j]
            if (i, j) == (0, len(token)):
                result = token
            elif not core or core in self.generic_words:
                result = ""
            elif len(core) >= self.min_core_chars:
                result = core
            else:
                result = "*" + core
        else:
            result = token
        if len(self._cache) < 1_000_000:
            self._cache[token] = result
        return result

    def normalise_tokens(self, tokens: Sequence[str]) -> str:
        words: list[str] = []
        pending = ""  # a one-letter first word waits for the next one (섬 지역 → 섬지역)
        for token in tokens:
            if token in self.generic_words and len(token) < self.min_core_chars:
                continue  # 및, 등: never glued to a neighbour
            if len(token) < self.min_core_chars:
                if words:
                    words[-1] += token  # 스마트 폴 → 스마트폴, 미디어 월 → 미디어월
                else:
                    pending += token
            else:
                words.append(pending + token)
                pending = ""
        if pending:
            words.append(pending)
        cores = [self.core(w) for w in words]
        if len("".join(cores)) < self.min_core_chars:  # generic through and through: keep them
            cores = words
        text = "".join(cores)
        if self._rewrite is None:
            return text
        return self._rewrite_terms(text, word_bounds(cores))

    def _rewrite_terms(self, text: str, bounds: frozenset[int]) -> str:
        """``text`` with each equivalent written one way, leftmost and longest first.

        The words are joined without spaces, so a term may span words (통학로 안전 → 안심통학)
        but it must then begin or end where a word does: 공가 (vacant house) is not read in
        공공 가로등, nor 체온 in 단체 온라인. A term said twice in a row, as an abbreviation
        and its expansion (AMI 원격검침, BIS 버스정보), is kept once.
        """
        pieces, done, at = [], 0, 0
        previous = None  # (end, canonical) of the last term written
        while found := self._rewrite.search(text, at):
            start, end = found.span()
            if straddles(start, end, bounds):
                at = start + 1
                continue
            canonical = self._canonical_of[found.group(0)]
            repeated = previous == (start, canonical)
            pieces += [text[done:start], "" if repeated else canonical]
            done = at = end
            previous = (end, canonical)
        pieces.append(text[done:])
        return "".join(pieces)

    def normalise(self, text: str, municipality_name: str = "") -> str:
        return self.normalise_tokens(tokenize(text, municipality_name))


def word_bounds(words: Sequence[str]) -> frozenset[int]:
    """Where the words begin and end once joined without spaces."""
    bounds, at = {0}, 0
    for word in words:
        at += len(word)
        bounds.add(at)
    return frozenset(bounds)


def straddles(start: int, end: int, bounds: frozenset[int]) -> bool:
    """Whether text[start:end] runs from inside one word into inside another."""
    crosses = any(start < bound < end for bound in bounds)
    return crosses and start not in bounds and end not in bounds


def learn_generic_words(token_lists: Iterable[Sequence[str]], params: Parameters) -> set[str]:
    """Words found (as separate words) in at least ``generic_min_df`` of the names and at least
    ``generic_min_count`` times. Digits-only and one-letter words are never learned."""
    df: Counter[str] = Counter()
    n = 0
    for tokens in token_lists:
        n += 1
        df.update(set(tokens))
    cutoff = max(params.generic_min_count, params.generic_min_df * n)
    return {w for w, c in df.items() if c >= cutoff and len(w) >= 2 and not w.isdigit()}


def _normaliser(
    token_lists: Iterable[Sequence[str]],
    params: Parameters,
    rewrites: Iterable[tuple[str, str]] = (),
) -> Normaliser:
    """The normaliser of a corpus: fixed and learned generic words, the parameters'
    equivalents, the domain lexicon's synonyms (``params.use_lexicon``) and ``rewrites``."""
    learned = learn_generic_words(token_lists, params) if params.generic_min_df < 1 else set()
    learned -= {compact(p) for p in params.protected_words}
    settings = (
        params.generic_affixes,
        set(params.generic_words) | learned,
        params.protected_words,
        params.min_core_chars,
    )
    base = Normaliser(*settings, (*params.equivalents, *rewrites))
    # the lexicon's words, written as names are once normalised (스마트미터 → 미터)
    lexicon = (
        tuple(
            (variant, canonical)
            for term, target in load_lexicon().rewrites
            if (variant := base.normalise(term)) and (canonical := base.normalise(target))
        )
        if params.use_lexicon
        else ()
    )
    return Normaliser(*settings, (*params.equivalents, *rewrites, *lexicon))


def build_normaliser(
    records: Iterable[Record], params: Parameters = DEFAULT_PARAMETERS
) -> Normaliser:
    """The normaliser for a corpus: the fixed generic words plus those learned from its names."""
    return _normaliser((tokenize(r.name, r.municipality_name) for r in records), params)


def build_normaliser_from_tokens(
    token_lists: Iterable[Sequence[str]], params: Parameters = DEFAULT_PARAMETERS
) -> Normaliser:
    """As :func:`build_normaliser`, from names already split by :func:`tokenize` (so a caller
    that keeps the words to normalise them next splits each name once)."""
    return _normaliser(token_lists, params)


def normalise_name(
    name: str, municipality_name: str = "", params: Parameters = DEFAULT_PARAMETERS
) -> str:
    """Normalise one name with the fixed generic words only (nothing learned from a corpus)."""
    return _fixed_normaliser(params).normalise(name, municipality_name)


@lru_cache(maxsize=8)
def _fixed_normaliser(params: Parameters) -> Normaliser:
    return _normaliser((), dataclasses.replace(params, generic_min_df=1.0))


def display_name(name: str, municipality_name: str = "") -> str:
    """A readable label: the name without its municipality, years and extra spaces."""
    text = unicodedata.normalize("NFKC", name or "")
    text = _YEAR.sub(" ", text)
    forms = municipality_forms(municipality_name) if municipality_name else ()
    words = []
    for word in text.split():
        low = word.lower()
        for form in forms:
            if low.startswith(form):
                rest = word[len(form) :]
                if not rest or len(rest) >= 2:
                    word = rest
                break
        if word.strip("()[]·,-"):
            words.append(word)
    label = " ".join(words).strip()
    return label or " ".join((name or "").split())


# --------------------------------------------------------------------------------------------
# Meaning: the domain lexicon and what curation taught
# --------------------------------------------------------------------------------------------

LEXICON_PATH = Path(__file__).with_name("lexicon.csv")


@dataclass(frozen=True)
class SynonymGroup:
    """Words that name one thing in smart-city plans although they share no letters; the
    first is the spelling the others are written as before names are compared."""

    id: str
    label: str
    terms: tuple[str, ...]  # compact forms; terms[0] is the canonical spelling
    sources: tuple[str, ...] = ()

    @property
    def canonical(self) -> str:
        return self.terms[0]


@dataclass(frozen=True)
class Lexicon:
    """The domain lexicon (``analysis/lexicon.csv``, one row per term: group, label, term,
    source), a reviewable data file versioned by its content."""

    groups: tuple[SynonymGroup, ...]
    version: str  # the file's SHA-256, first 12 hex digits, recorded with each run

    @property
    def rewrites(self) -> tuple[tuple[str, str], ...]:
        return tuple((term, g.canonical) for g in self.groups for term in g.terms[1:])

    @property
    def size(self) -> int:
        return sum(len(g.terms) for g in self.groups)


@lru_cache(maxsize=4)
def load_lexicon(path: str | Path = LEXICON_PATH) -> Lexicon:
    """Read the lexicon file; terms are folded with ``catalog.text.compact``."""
    raw = Path(path).read_bytes()
    terms: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    sources: dict[str, set[str]] = defaultdict(set)
    for row in csv.DictReader(raw.decode("utf-8-sig").splitlines()):
        term = compact(row["term"])
        if term and term not in terms[row["concept"]]:
            terms[row["concept"]].append(term)
            labels.setdefault(row["concept"], row["label"])
            sources[row["concept"]].add(row["source"])
    groups = tuple(
        SynonymGroup(group, labels[group], tuple(found), tuple(sorted(sources[group])))
        for group, found in sorted(terms.items())
        if len(found) >= 2
    )
    return Lexicon(groups, hashlib.sha256(raw).hexdigest()[:12])


@dataclass(frozen=True)
class Equivalences:
    """What staff curation decided, as pairs of service names (without their municipality).

    A run normalises both names as it normalises every name. ``same``: one idea; the second
    normalised text is written as the first wherever it occurs, so the decision reaches every
    service whose name holds it, beyond those it was made on. ``different``: not one idea;
    services whose names normalise to the two texts are never linked directly.
    """

    same: tuple[tuple[str, str], ...] = ()
    different: tuple[tuple[str, str], ...] = ()

    def normalised(self, normaliser: Normaliser) -> Equivalences:
        def pairs(named):
            result = set()
            for a, b in named:
                first, second = normaliser.normalise(a), normaliser.normalise(b)
                if first and second and first != second:
                    result.add(tuple(sorted((first, second))))
            return tuple(sorted(result))

        return Equivalences(pairs(self.same), pairs(self.different))

    def rewrites(self) -> tuple[tuple[str, str], ...]:
        """``same`` pairs as rewrites: every text of a connected group of pairs is written as
        the group's shortest text (a = b and b = c bring a, b and c to one spelling)."""
        parent: dict[str, str] = {}

        def root(text: str) -> str:
            while parent.setdefault(text, text) != text:
                parent[text] = parent[parent[text]]
                text = parent[text]
            return text

        for a, b in self.same:
            parent[root(a)] = root(b)
        groups: dict[str, list[str]] = defaultdict(list)
        for text in parent:
            groups[root(text)].append(text)
        rewrites = []
        for members in groups.values():
            canonical = min(members, key=lambda t: (len(t), t))
            rewrites += [(text, canonical) for text in sorted(members) if text != canonical]
        return tuple(rewrites)


NO_EQUIVALENCES = Equivalences()


# --------------------------------------------------------------------------------------------
# Vectors and neighbours
# --------------------------------------------------------------------------------------------


def tfidf_vectoriser(params: Parameters = DEFAULT_PARAMETERS):
    """The method's TF-IDF over character n-grams of normalised texts, not yet fitted.

    ``find_clusters`` fits it on the distinct normalised names; code that compares new names
    with a corpus (``catalog.lookalikes``) fits it once on the corpus and reuses it.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char",
        ngram_range=tuple(params.ngram_range),
        lowercase=False,
        sublinear_tf=params.sublinear_tf,
        max_df=params.max_ngram_df if params.max_ngram_df < 1.0 else 1.0,
        dtype=np.float32,
    )


def _tfidf(texts: Sequence[str], params: Parameters) -> sp.csr_matrix:
    vectoriser = tfidf_vectoriser(params)
    try:
        matrix = vectoriser.fit_transform(texts)
    except ValueError:  # empty vocabulary (all texts shorter than the smallest n-gram)
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)
    return matrix.tocsr()


def _row_normalise(matrix: sp.csr_matrix) -> sp.csr_matrix:
    matrix = matrix.tocsr().astype(np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ matrix)


def _chunk_neighbours(
    matrix: sp.csr_matrix,
    transposed: sp.csr_matrix,
    start: int,
    stop: int,
    k: int,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k neighbours (≥ threshold, self excluded) of rows start..stop-1."""
    product = matrix[start:stop] @ transposed
    kept = np.flatnonzero(product.data >= threshold)  # filter first: most products are small
    rows = np.searchsorted(product.indptr, kept, side="right") - 1 + start
    cols = product.indices[kept].astype(np.int64)
    sims = product.data[kept]
    del product, kept
    not_self = cols != rows
    rows, cols, sims = rows[not_self], cols[not_self], sims[not_self]
    per_row = np.bincount(rows - start, minlength=stop - start)
    if per_row.max(initial=0) <= k:
        return rows, cols, sims
    bounds = np.r_[0, np.cumsum(per_row)]
    take = np.ones(rows.size, dtype=bool)
    for r in np.flatnonzero(per_row > k):
        lo, hi = bounds[r], bounds[r + 1]
        row_sims, row_cols = sims[lo:hi], cols[lo:hi]
        kth = np.partition(row_sims, row_sims.size - k)[row_sims.size - k]
        chosen = row_sims > kth
        ties = np.flatnonzero(row_sims == kth)  # ties at the cut: lowest column first
        need = k - int(chosen.sum())
        chosen[ties[np.argsort(row_cols[ties], kind="stable")[:need]]] = True
        take[lo:hi] = chosen
    return rows[take], cols[take], sims[take]


def top_k_neighbours(
    matrix: sp.csr_matrix, k: int, threshold: float, chunk_size: int = 500, workers: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``k`` most similar other rows with similarity ≥ ``threshold``.

    ``matrix`` rows are L2-normalised, so a dot product is a cosine. Products are computed for
    ``chunk_size`` rows at a time, on ``workers`` threads (SciPy releases the GIL); the result
    does not depend on either. Returns unordered pairs (i < j) and their similarity; a pair is
    kept when either end has the other among its k nearest.
    """
    n = matrix.shape[0]
    empty = np.zeros(0, dtype=np.int64)
    if n < 2 or matrix.shape[1] == 0 or k <= 0:
        return empty, empty, np.zeros(0, dtype=np.float32)
    matrix = matrix.tocsr()
    transposed = matrix.T.tocsr()
    bounds = [(start, min(n, start + chunk_size)) for start in range(0, n, chunk_size)]

    def run(bound: tuple[int, int]):
        return _chunk_neighbours(matrix, transposed, bound[0], bound[1], k, threshold)

    if workers > 1 and len(bounds) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(run, bounds))
    else:
        parts = [run(bound) for bound in bounds]
    row = np.concatenate([p[0] for p in parts])
    col = np.concatenate([p[1] for p in parts])
    sim = np.concatenate([p[2] for p in parts])
    if row.size == 0:
        return empty, empty, np.zeros(0, dtype=np.float32)
    lo, hi = np.minimum(row, col), np.maximum(row, col)
    _, first = np.unique(lo * n + hi, return_index=True)
    return lo[first], hi[first], sim[first]


# --------------------------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------------------------


def _communities(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    weights: np.ndarray,
    node_weights: np.ndarray,
    params: Parameters,
) -> np.ndarray:
    """Leiden/CPM membership of ``n`` nodes; deterministic for a given seed."""
    if left.size == 0:
        return np.arange(n)
    import random

    import igraph

    graph = igraph.Graph(n=n, edges=np.column_stack((left, right)).tolist(), directed=False)
    igraph.set_random_number_generator(random.Random(params.seed))
    try:
        partition = graph.community_leiden(
            objective_function="CPM",
            weights=weights.tolist(),
            resolution=params.resolution,
            n_iterations=params.leiden_iterations,
            node_weights=node_weights.tolist(),
        )
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(partition.membership)


def find_clusters(
    records: Iterable[Record],
    params: Parameters = DEFAULT_PARAMETERS,
    equivalences: Equivalences = NO_EQUIVALENCES,
) -> list[Cluster]:
    """Clusters of services of at least ``params.min_municipalities`` municipalities.

    ``equivalences``: what staff curation taught. Deterministic for a given set of records,
    parameters, lexicon file and equivalences, whatever the records' order.
    """
    records = sorted(
        records,
        key=lambda r: (r.municipality_code, r.name, r.description, type(r.id).__name__, str(r.id)),
    )
    if len(records) < 2:
        return []

    # 1. normalise (with the lexicon's synonyms and what curation taught)
    tokens = [tokenize(r.name, r.municipality_name) for r in records]
    base_normaliser = _normaliser(tokens, params)
    learned = equivalences.normalised(base_normaliser)
    normaliser = _normaliser(tokens, params, learned.rewrites())
    names = [normaliser.normalise_tokens(t) for t in tokens]
    comparable = [i for i, text in enumerate(names) if text]  # a name of no letters: skipped
    if len(comparable) < len(records):
        records = [records[i] for i in comparable]
        names = [names[i] for i in comparable]

    # 2. one node per distinct normalised name
    node_texts = sorted(set(names))
    node_of_text = {text: i for i, text in enumerate(node_texts)}
    node = np.fromiter((node_of_text[t] for t in names), dtype=np.int64, count=len(names))
    n_nodes = len(node_texts)
    node_weights = np.bincount(node, minlength=n_nodes).astype(np.float64)

    # 3. vectors: name n-grams, plus descriptions with a lower weight
    matrix = _tfidf(node_texts, params)
    if params.description_weight > 0:
        descriptions = [
            normaliser.normalise(r.description, r.municipality_name) if r.description else ""
            for r in records
        ]
        desc_texts = sorted({d for d in descriptions if d})
        if desc_texts:
            desc_index = {text: i for i, text in enumerate(desc_texts)}
            pairs = {(node[i], desc_index[d]) for i, d in enumerate(descriptions) if d}
            p_rows, p_cols = zip(*sorted(pairs), strict=True)
            membership = sp.csr_matrix(
                (np.ones(len(p_rows), dtype=np.float32), (p_rows, p_cols)),
                shape=(n_nodes, len(desc_texts)),
            )
            desc_matrix = _row_normalise(membership @ _tfidf(desc_texts, params))
            matrix = sp.hstack(
                [matrix, desc_matrix * np.float32(params.description_weight)], format="csr"
            )
    matrix = _row_normalise(matrix)

    # 4. k nearest neighbours above the threshold, less the pairs staff said differ
    left, right, sims = top_k_neighbours(
        matrix, params.neighbours, params.similarity_threshold, params.chunk_size, params.workers
    )
    if learned.different:
        different = Equivalences(different=learned.different).normalised(normaliser).different
        left, right, sims = _without_pairs(left, right, sims, different, node_of_text)

    # 5. Leiden/CPM; an edge stands for every pair of services of its two nodes
    weights = sims.astype(np.float64) * node_weights[left] * node_weights[right]
    membership = _communities(n_nodes, left, right, weights, node_weights, params)

    # 6. shared ideas only
    nodes_of: dict[int, list[int]] = defaultdict(list)
    for i, community in enumerate(membership):
        nodes_of[int(community)].append(i)
    records_of_node: dict[int, list[int]] = defaultdict(list)
    for i, nd in enumerate(node):
        records_of_node[int(nd)].append(i)

    clusters = []
    for members in nodes_of.values():
        record_idx = [i for nd in members for i in records_of_node[nd]]
        codes = {records[i].municipality_code for i in record_idx}
        if len(codes) < params.min_municipalities:
            continue
        cluster = _make_cluster(records, record_idx, members, node, matrix, node_weights)
        cluster.explanation = explain(
            [records[i].name for i in record_idx],
            [names[i] for i in record_idx],
            [base_normaliser.normalise(records[i].name) for i in record_idx]
            if learned.same
            else [],
            load_lexicon() if params.use_lexicon else None,
            learned,
        )
        cluster.explanation["similarity"] = round(
            sum(sim for _id, sim in cluster.members) / cluster.size, 4
        )
        clusters.append(cluster)
    clusters.sort(key=lambda c: (-len(c.municipality_codes), -c.size, c.label))
    return clusters


def _without_pairs(left, right, sims, pairs, node_of_text):
    """The edges, less those joining two names staff decided are different ideas."""
    banned = set()
    for a, b in pairs:
        if a in node_of_text and b in node_of_text:
            banned.add((node_of_text[a], node_of_text[b]))
            banned.add((node_of_text[b], node_of_text[a]))
    if not banned:
        return left, right, sims
    keep = np.fromiter(
        ((int(i), int(j)) not in banned for i, j in zip(left, right, strict=True)),
        dtype=bool,
        count=len(left),
    )
    return left[keep], right[keep], sims[keep]


def explain(
    names: Sequence[str],
    texts: Sequence[str],
    base_texts: Sequence[str],
    lexicon: Lexicon | None,
    learned: Equivalences,
) -> dict:
    """Why services were grouped, in words a researcher can check.

    ``terms``: the longest pieces of text (two letters or more) that at least two of the
    members' normalised names share; ``synonyms``: the lexicon's groups whose different words
    the members' names use (폐기물 and 쓰레기 read as one); ``learned``: curation decisions
    (pairs of normalised names, found in ``base_texts``, the names normalised without them)
    that joined them. The caller adds ``similarity``.
    """
    folded = [compact(name) for name in names]
    synonyms = []
    for group in lexicon.groups if lexicon else ():
        used = sorted({term for term in group.terms for name in folded if term in name})
        if len(used) >= 2:
            synonyms.append({"id": group.id, "label": group.label, "terms": used})
    joined = [
        [a, b]
        for a, b in learned.same
        if any(a in t for t in base_texts) and any(b in t for t in base_texts)
    ]
    return {"terms": shared_terms(texts), "synonyms": synonyms, "learned": joined}


def shared_terms(texts: Sequence[str], limit: int = 5) -> list[str]:
    """The longest pieces (two letters or more) found in at least two of ``texts``, none inside
    another, most widely shared first."""
    distinct = sorted(set(texts))
    if len(distinct) < 2:
        return [distinct[0]] if distinct and len(texts) >= 2 else []
    seen_in: Counter[str] = Counter()
    for text in distinct[:200]:
        pieces = {
            text[i:j] for i in range(len(text)) for j in range(i + 2, min(len(text), i + 12) + 1)
        }
        seen_in.update(pieces)
    common = [piece for piece, n in seen_in.items() if n >= 2 and "*" not in piece]
    maximal = [p for p in common if not any(p != q and p in q for q in common)]
    maximal.sort(key=lambda p: (-seen_in[p], -len(p), p))
    return maximal[:limit]


def _make_cluster(records, record_idx, member_nodes, node, matrix, node_weights) -> Cluster:
    member_nodes = np.asarray(sorted(member_nodes))
    sub = matrix[member_nodes]
    w = node_weights[member_nodes]
    total = float(w.sum())
    centroid = sp.csr_matrix(w.astype(np.float32)) @ sub  # sum of all services' vectors
    dots = np.asarray((sub @ centroid.T).todense()).ravel().astype(np.float64)
    self_sq = np.asarray(sub.multiply(sub).sum(axis=1)).ravel()
    # services with the same normalised name count as similarity 1 to each other
    mean_sim = (dots - w * self_sq + (w - 1.0)) / max(total - 1.0, 1.0)
    score_of_node = {
        int(nd): round(min(max(float(s), 0.0), 1.0), 4)
        for nd, s in zip(member_nodes, mean_sim, strict=True)
    }

    centre = max(member_nodes, key=lambda nd: (score_of_node[int(nd)], node_weights[nd], -nd))
    spellings = Counter(
        display_name(records[i].name, records[i].municipality_name)
        for i in record_idx
        if node[i] == centre
    )
    forms: Counter[str] = Counter()  # the same words however spaced
    for spelling, count in spellings.items():
        forms[compact(spelling)] += count
    # all these spellings share one normalised name: the shortest has the fewest generic words
    form = min(forms, key=lambda f: (len(f), -forms[f], f))
    label = min(
        (s for s in spellings if compact(s) == form),
        key=lambda s: (-spellings[s], -s.count(" "), s),
    )

    members = sorted(
        ((records[i].id, score_of_node[int(node[i])]) for i in record_idx),
        key=lambda m: (-m[1], type(m[0]).__name__, str(m[0])),
    )
    return Cluster(
        members=members,
        label=label,
        municipality_codes={records[i].municipality_code for i in record_idx},
    )


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def _cross_pairs(codes: Iterable[str]) -> int:
    """Pairs of items with different municipality codes."""
    counts = Counter(codes)
    n = sum(counts.values())
    return n * (n - 1) // 2 - sum(c * (c - 1) // 2 for c in counts.values())


def evaluate(
    records_with_concepts: Iterable[tuple[Record, str]], params: Parameters = DEFAULT_PARAMETERS
) -> dict:
    """Pair precision, recall and F1 over pairs of services of *different* municipalities.

    A predicted pair: both services are in the same returned cluster. A true pair: both have
    the same concept. Records need unique ids.
    """
    labelled = list(records_with_concepts)
    concept_of = {record.id: concept for record, concept in labelled}
    code_of = {record.id: record.municipality_code for record, _ in labelled}
    if len(concept_of) != len(labelled):
        raise ValueError("record ids must be unique")
    clusters = find_clusters((record for record, _ in labelled), params)

    by_concept: dict[str, list[str]] = defaultdict(list)
    for record, concept in labelled:
        by_concept[concept].append(record.municipality_code)
    true_pairs = sum(_cross_pairs(codes) for codes in by_concept.values())

    predicted = correct = 0
    for cluster in clusters:
        ids = cluster.ids
        predicted += _cross_pairs(code_of[i] for i in ids)
        per_concept: dict[str, list[str]] = defaultdict(list)
        for i in ids:
            per_concept[concept_of[i]].append(code_of[i])
        correct += sum(_cross_pairs(codes) for codes in per_concept.values())

    precision = correct / predicted if predicted else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "pairs": {"true": true_pairs, "predicted": predicted, "correct": correct},
        "clusters": len(clusters),
        "records": len(labelled),
    }


# --------------------------------------------------------------------------------------------
# Loading helpers (plain files, no database)
# --------------------------------------------------------------------------------------------


def municipality_names(fixture_path: str | Path) -> dict[str, str]:
    """code → "부산광역시 수영구" (province and own name) from a municipalities fixture."""
    rows = json.loads(Path(fixture_path).read_text(encoding="utf-8"))
    fields = {row["fields"]["code"]: row["fields"] for row in rows}
    names = {}
    for code, f in fields.items():
        parent = (f.get("parent") or [None])[0]
        parent_name = fields[parent]["name"] if parent in fields else ""
        names[code] = f"{parent_name} {f['name']}".strip()
    return names


def load_labelled(
    csv_path: str | Path, names: dict[str, str] | None = None, split: str | None = None
) -> list[tuple[Record, str]]:
    """(Record, concept) pairs from a CSV with municipality_code,name,description,concept and
    an optional split column; ``split`` keeps only the rows of that part."""
    names = names or {}
    with open(csv_path, encoding="utf-8", newline="") as fh:
        return [
            (
                Record(
                    id=i,
                    municipality_code=row["municipality_code"],
                    name=row["name"],
                    description=row.get("description") or "",
                    municipality_name=names.get(row["municipality_code"], ""),
                ),
                row["concept"],
            )
            for i, row in enumerate(csv.DictReader(fh))
            if split is None or row.get("split") == split
        ]
