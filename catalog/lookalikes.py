"""The same idea elsewhere, at entry: published services of other municipalities whose names
look like a name being entered.

The import preview calls :func:`find_lookalikes` with the service names of a spreadsheet, so
that staff see, row by row, which other cities already publish the same idea.

Names are compared the way the duplication analysis compares them (``analysis.duplication``
with its default :class:`~analysis.duplication.Parameters`, as ``manage.py find_duplicates``
runs it):

* each name is normalised by the method's normaliser, built from the published names (the
  fixed generic words plus those learned from the catalog), with its own municipality's name
  removed, as in the analysis;
* it becomes a TF-IDF vector over character n-grams, fitted on the distinct normalised
  published names; an n-gram no published name has weighs what an n-gram of one name weighs,
  so a new name is never scored as if its unknown part were not there;
* the cosine similarity with each published name must reach ``similarity_threshold``; names
  that normalise to the same text score 1.0. Only names are compared: an entry has no
  description yet, so the description part of the method is left out.

Each answer holds at most one service per municipality (its most similar one), never one of
the entry's own municipality, never a draft.

The published side (the normaliser, the fitted vectors and which services each normalised name
stands for) is built once and kept in the process for the catalog's revision number
(``catalog.revision``); any change to the catalog moves the number and the next call rebuilds
it. An index is kept only once the transaction it was read in has committed, so one built from
rows that were later rolled back is never served under a number that comes again.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.db import transaction
from django.urls import reverse

from analysis import duplication
from catalog import revision
from catalog.models import Municipality, Service

PARAMETERS = duplication.Parameters()

# Entries compared with the published names at a time: bounds the memory of one sparse product
# (rows × published names that share an n-gram with them).
CHUNK_SIZE = 256


@dataclass(frozen=True)
class Lookalike:
    """A published service of another municipality that looks like the same idea."""

    service_id: int
    name: str
    municipality_code: str
    municipality_name: str  # str(municipality), e.g. '경기도 고양시'
    similarity: float  # cosine, 0–1, rounded to 2 decimals
    url: str  # service.get_absolute_url()


def find_lookalikes(entries: Sequence[tuple[str, str]], *, limit: int = 3) -> list[list[Lookalike]]:
    """Up to ``limit`` published services of other municipalities that look like each entry.

    ``entries``: (service name, municipality code of the row, '' if unknown). Returns one list
    per entry, in the same order, most similar first (equal similarities in a fixed order, the
    older service first among those of one wording); never a service of the entry's own
    municipality, at most one service per municipality, only published services, each with a
    similarity of at least the duplication method's ``similarity_threshold``. An entry whose
    name has nothing left after normalisation (only generic words or punctuation) gets an
    empty list. Surrounding spaces in a code are ignored.

    Call it before writing to the catalog in a transaction: after a write the revision has
    moved, so the call rebuilds the published side, and keeps it only if the transaction
    commits (see the module docstring).

    Queries: one (the catalog's revision) while the published side is current, three when it
    has to be rebuilt.
    """
    entries = list(entries)
    if not entries:
        return []
    index = _current_index()
    if limit <= 0 or not index.node_texts:
        return [[] for _ in entries]

    texts = [index.normalise(name or "", (code or "").strip()) for name, code in entries]
    rows_of_text: dict[str, list[int]] = defaultdict(list)
    for row, text in enumerate(texts):
        if text:
            rows_of_text[text].append(row)
    distinct = list(rows_of_text)

    picked: list[list[tuple[int, float]]] = [[] for _ in entries]
    threshold = np.float32(PARAMETERS.similarity_threshold)
    for start in range(0, len(distinct), CHUNK_SIZE):
        chunk = distinct[start : start + CHUNK_SIZE]
        product = index.vectors(chunk) @ index.transposed  # chunk × published names, sparse
        for offset, text in enumerate(chunk):
            lo, hi = product.indptr[offset], product.indptr[offset + 1]
            sims = product.data[lo:hi]
            keep = sims >= threshold
            nodes, sims = product.indices[lo:hi][keep], sims[keep]
            same = index.node_of_text.get(text)
            if same is not None:  # the same normalised text: similarity 1, whatever the floats
                others = nodes != same
                nodes = np.append(nodes[others], same)
                sims = np.append(sims[others], np.float32(1.0))
            for row in rows_of_text[text]:
                own = index.municipality_index.get((entries[row][1] or "").strip(), -1)
                picked[row] = index.pick(nodes, sims, own, limit)
        del product
    url = _service_url()
    return [[index.lookalike(service, sim, url) for service, sim in row] for row in picked]


# --------------------------------------------------------------------------------------------
# The published side
# --------------------------------------------------------------------------------------------


class _Index:
    """Every published service, grouped by normalised name, with the fitted vectors."""

    def __init__(
        self,
        number: int,
        municipalities: list[tuple[str, str, str | None]],
        services: list[tuple[int, str, str]],
    ):
        self.revision = number
        self.municipality_codes = [code for code, _, _ in municipalities]
        self.municipality_index = {code: i for i, code in enumerate(self.municipality_codes)}
        # the analysis removes a service's own municipality by its own name (고양시, 수영구)
        self.own_name = {code: name for code, name, _ in municipalities}
        self.municipality_labels = [  # str(municipality)
            f"{parent} {name}" if parent else name for _, name, parent in municipalities
        ]

        tokens = [
            duplication.tokenize(name, self.own_name.get(code, "")) for _, name, code in services
        ]
        self.normaliser = duplication.build_normaliser_from_tokens(tokens, PARAMETERS)
        texts = [self.normaliser.normalise_tokens(words) for words in tokens]
        del tokens
        kept = [i for i, text in enumerate(texts) if text]  # as the analysis, no empty names

        self.node_texts = sorted({texts[i] for i in kept})
        self.node_of_text = {text: k for k, text in enumerate(self.node_texts)}
        n_nodes = len(self.node_texts)
        node = np.fromiter((self.node_of_text[texts[i]] for i in kept), np.int64, len(kept))
        ids = np.fromiter((services[i][0] for i in kept), np.int64, len(kept))
        order = np.lexsort((ids, node))  # services by normalised name, then id
        self.service_ids = ids[order]
        self.service_municipality = np.fromiter(
            (self.municipality_index.get(services[i][2], -1) for i in kept), np.int64, len(kept)
        )[order]
        self.service_names = [services[kept[i]][1] for i in order]
        self.node_start = np.searchsorted(node[order], np.arange(n_nodes + 1))
        self.node_first_id = self.service_ids[self.node_start[:-1]]

        self._fit()

    def _fit(self) -> None:
        vectoriser = duplication.tfidf_vectoriser(PARAMETERS)
        try:
            matrix = vectoriser.fit_transform(self.node_texts)  # rows L2-normalised
        except ValueError:  # no n-gram at all (every name shorter than the smallest n-gram)
            self.vocabulary: dict[str, int] = {}
            self.idf = np.zeros(0, dtype=np.float32)
            self.ignored: frozenset[str] = frozenset()
            self.analyse: Callable[[str], list[str]] = lambda text: []
            self.unseen_idf = 1.0
            self.transposed = sp.csr_matrix((0, len(self.node_texts)), dtype=np.float32)
            return
        self.vocabulary = dict(vectoriser.vocabulary_)
        self.idf = vectoriser.idf_.astype(np.float32)
        self.ignored = frozenset(getattr(vectoriser, "stop_words_", None) or ())
        self.analyse = vectoriser.build_analyzer()
        n = len(self.node_texts)  # the idf of an n-gram found in one name (smooth idf)
        self.unseen_idf = math.log((1 + n) / 2) + 1 if vectoriser.smooth_idf else math.log(n) + 1
        self.transposed = matrix.T.tocsr().astype(np.float32)

    def normalise(self, name: str, code: str) -> str:
        return self.normaliser.normalise(name, self.own_name.get(code, ""))

    def vectors(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows of ``texts`` in the fitted space; n-grams the published
        names do not have count towards the norm only (they match nothing)."""
        indptr, indices, data = [0], [], []
        for text in texts:
            norm_sq, columns, weights = 0.0, [], []
            for gram, count in Counter(self.analyse(text)).items():
                tf = 1.0 + math.log(count) if PARAMETERS.sublinear_tf else float(count)
                column = self.vocabulary.get(gram)
                if column is None:
                    if gram in self.ignored:  # too common for the method: not compared
                        continue
                    weight = tf * self.unseen_idf
                else:
                    weight = tf * float(self.idf[column])
                    columns.append(column)
                    weights.append(weight)
                norm_sq += weight * weight
            norm = math.sqrt(norm_sq) or 1.0
            indices.extend(columns)
            data.extend(w / norm for w in weights)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(data, np.float32), np.asarray(indices, np.int32), np.asarray(indptr)),
            shape=(len(texts), len(self.vocabulary)),
        )

    def pick(
        self, nodes: np.ndarray, sims: np.ndarray, own: int, limit: int
    ) -> list[tuple[int, float]]:
        """(position of a service, similarity) of the best ``limit`` services, one per
        municipality and none of ``own``, from candidate names ``nodes`` and their ``sims``."""
        if nodes.size == 0:
            return []
        # Most names have few candidates; for the rest, sort only the best few (with every
        # tie at the cut) and fall back to all of them if those do not give ``limit`` services.
        few = 4 * limit + 8
        if nodes.size > few:
            cut = np.partition(sims, nodes.size - few)[nodes.size - few]
            best = np.flatnonzero(sims >= cut)
            chosen = self._walk(nodes[best], sims[best], own, limit)
            if len(chosen) == limit:
                return chosen
        return self._walk(nodes, sims, own, limit)

    def _walk(self, nodes, sims, own, limit) -> list[tuple[int, float]]:
        chosen: list[tuple[int, float]] = []
        seen = {own}
        for i in np.lexsort((self.node_first_id[nodes], -sims)):
            node, sim = int(nodes[i]), float(sims[i])
            for position in range(self.node_start[node], self.node_start[node + 1]):
                municipality = int(self.service_municipality[position])
                if municipality in seen:
                    continue
                seen.add(municipality)
                chosen.append((position, sim))
                if len(chosen) == limit:
                    return chosen
        return chosen

    def lookalike(self, position: int, sim: float, url: Callable[[int], str]) -> Lookalike:
        municipality = int(self.service_municipality[position])
        service_id = int(self.service_ids[position])
        return Lookalike(
            service_id=service_id,
            name=self.service_names[position],
            municipality_code=self.municipality_codes[municipality],
            municipality_name=self.municipality_labels[municipality],
            similarity=round(min(max(sim, 0.0), 1.0), 2),
            url=url(service_id),
        )


_URL_PLACEHOLDER = 987654321987654321


def _service_url() -> Callable[[int], str]:
    """``Service.get_absolute_url`` by id, reversing the route once per call (reversing it for
    each of 30,000 look-alikes took most of a 10,000-row call)."""
    placeholder = str(_URL_PLACEHOLDER)
    pattern = reverse("catalog:service-detail", args=[_URL_PLACEHOLDER])
    if pattern.count(placeholder) != 1:
        return lambda pk: reverse("catalog:service-detail", args=[pk])
    before, after = pattern.split(placeholder)
    return lambda pk: f"{before}{pk}{after}"


_lock = threading.Lock()
_held: _Index | None = None


def _current_index() -> _Index:
    number = revision.current()  # read first: the rows read next are at least this new
    index = _held
    if index is not None and index.revision == number:
        return index
    with _lock:  # one build at a time; a caller that waited finds it done
        index = _held
        if index is not None and index.revision == number:
            return index
        index = _build(number)
    # Kept when the transaction commits (at once outside a transaction): rows read in a
    # transaction that is rolled back never stand for a revision number that comes again.
    transaction.on_commit(lambda: _keep(index))
    return index


def _build(number: int) -> _Index:
    municipalities = list(
        Municipality.objects.order_by("code").values_list("code", "name", "parent__name")
    )
    services = list(
        Service.objects.published()
        .order_by("pk")
        .values_list("pk", "name", "plan__municipality__code")
        .iterator(chunk_size=10_000)
    )
    return _Index(number, municipalities, services)


def _keep(index: _Index) -> None:
    global _held
    with _lock:
        if _held is None or _held.revision <= index.revision:
            _held = index


def clear() -> None:
    """Forget the published side; the next call rebuilds it (tests start from here)."""
    global _held
    with _lock:
        _held = None
