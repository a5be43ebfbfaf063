"""Suggest a service's field (분야) from its name, and description when there is one.

When a spreadsheet leaves 분야 empty, the import asks :class:`CategorySuggester` for the most
likely of the 12 statutory fields, with a confidence and a runner-up. The method and the
figures measured for it are described in ``docs/category-suggestion.md``.

Method
------

* Text goes through the duplication analysis's normaliser (``analysis.duplication.Normaliser``
  with its fixed word lists): folded, years dropped, the words that only say "a smart-city
  project" (스마트, 지능형, IoT, … 서비스, 시스템, 구축 …) cut from the start and end of words
  unless they make a compound of their own (스마트팜), spaces removed and established
  equivalents applied (어르신 → 노인, 와이파이 → wifi). ``스마트 횡단보도 구축`` and
  ``횡단보도`` are then the same text. A text made of generic words only keeps them.
* Features are TF-IDF weights of the character n-grams of that text (``Parameters.ngram_range``,
  sublinear term frequency, each vector of unit length). A description, when given, adds its
  own vector times ``Parameters.description_weight`` to the name's.
* A multinomial logistic regression (``Parameters.C``) with class weights inversely
  proportional to each field's number of examples, so that the small fields (물류, 근로·고용,
  주거) are not drowned by the large ones.
* The confidence is the regression's probability of the top field after temperature scaling
  (``Parameters.temperature``), chosen on labelled names that were not used for training.

Training data
-------------

* ``fixtures/category_examples.csv`` (``name,category,source``): service names per field from
  the issue paper's examples (``paper``), the field definitions' own items (``definition``)
  and names as Korean municipalities write them (``curated``);
* each field's name and definition, the items its definition lists, and its sub-groups' names
  and definitions (:func:`definition_examples`);
* for :meth:`CategorySuggester.for_catalog`, also the catalog's own services whose field a
  source stated or an editor assigned (``category_basis`` ``source`` or ``editor``) — never a
  field the importer suggested, never a synthetic plan's service. Distinct (name, field) pairs
  only, at most ``catalog_per_category`` per field and ``catalog_limit`` in all, picked by a
  hash of the name, so the fit stays fast and is the same on every machine.

Everything is deterministic: examples are de-duplicated and sorted before fitting, the solver
is deterministic, and ties between fields go to the field listed first.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from analysis.duplication import Normaliser
from catalog.text import compact

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_FILE = ROOT / "fixtures" / "category_examples.csv"
CATEGORIES_FILE = ROOT / "fixtures" / "categories.json"

# Ids per query when reading the descriptions of the catalog's sample (SQLite's limit on query
# parameters is 999 in older builds).
DESCRIPTION_BATCH = 900

# Services whose field a person decided; 'suggested' (set by the importer) is never learnt from.
TRAINING_BASES = ("source", "editor")

# "… 교통 관리 최적화, 운전자·여행자 정보, 대중교통 … 등이 여기에 듭니다."; "… 디지털 트윈과
# 도시 데이터 플랫폼도 여기에 듭니다."
DEFINITION_ITEMS = re.compile(r"([^.]*?)\s*(?:등이|도|이|가) 여기에 (?:듭니다|들며)")


@dataclass(frozen=True)
class Parameters:
    """The method's settings, chosen on the ``tune`` part of the labelled names."""

    ngram_range: tuple[int, int] = (2, 4)
    C: float = 10.0
    class_weight: str | None = "balanced"
    description_weight: float = 0.5
    temperature: float = 0.6
    catalog_per_category: int = 300
    catalog_limit: int = 2000
    description_chars: int = 300  # a longer description is cut: its start says what it is


PARAMETERS = Parameters()

_normaliser = Normaliser()  # the duplication method's fixed word lists, none learned


def normalise(text: str) -> str:
    """The text the model reads: normalised as the duplication analysis does (see the module
    notes); the compact text when nothing is left."""
    return _normaliser.normalise(text or "") or compact(text)


def single_threaded():
    """One BLAS thread: these problems are small, and threads only add start-up and contention
    (a fit takes several times longer with them on two cores), and results then never depend
    on a machine's thread count."""
    return threadpool_limits(limits=1)


@dataclass(frozen=True)
class Suggestion:
    """The likeliest field for a name, and the runner-up."""

    category: str  # Category.code, e.g. "transport"
    confidence: float  # 0–1: the probability of the top field
    alternative: str | None  # the runner-up's code
    alternative_confidence: float


@dataclass(frozen=True)
class Field:
    """What the method knows of a field: its code, name and definition, and its sub-groups."""

    code: str
    name_ko: str
    description_ko: str = ""
    subgroups: tuple[tuple[str, str], ...] = ()  # (name_ko, description_ko)


# --------------------------------------------------------------------------- training data


def fixture_fields(path: Path = CATEGORIES_FILE) -> list[Field]:
    """The fields as ``fixtures/categories.json`` defines them, in their display order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    categories = sorted(
        (row["fields"] for row in data if row["model"] == "catalog.category"),
        key=lambda fields: fields["order"],
    )
    subgroups = defaultdict(list)
    for row in sorted(
        (row["fields"] for row in data if row["model"] == "catalog.subcategory"),
        key=lambda fields: fields["order"],
    ):
        parent = row["category"][0] if isinstance(row["category"], list) else row["category"]
        subgroups[parent].append((row["name_ko"], row.get("description_ko", "")))
    return [
        Field(c["code"], c["name_ko"], c.get("description_ko", ""), tuple(subgroups[c["code"]]))
        for c in categories
    ]


def database_fields() -> list[Field]:
    """The fields as the database holds them, in their display order."""
    from catalog.models import Category, SubCategory

    subgroups = defaultdict(list)
    for parent, name, description in SubCategory.objects.order_by(
        "category__order", "order", "code"
    ).values_list("category__code", "name_ko", "description_ko"):
        subgroups[parent].append((name, description))
    return [
        Field(code, name, description, tuple(subgroups[code]))
        for code, name, description in Category.objects.order_by("order").values_list(
            "code", "name_ko", "description_ko"
        )
    ]


def definition_examples(fields: Iterable[Field]) -> list[tuple[str, str, str]]:
    """(name, description, code) examples drawn from the fields' names and definitions.

    Each field gives its name and each part of it (보건·의료·복지 → 보건, 의료, 복지), every
    item its definition lists (“현장 행정 지원, 원격 민원, … 등이 여기에 듭니다”), and its whole
    definition as a description; each sub-group gives its name with its definition.
    """
    examples = []
    for field in fields:
        parts = [field.name_ko, *re.split(r"[·/ㆍ,]", field.name_ko)]
        for part in dict.fromkeys(p.strip() for p in parts if p.strip()):
            examples.append((part, "", field.code))
        for listed in DEFINITION_ITEMS.findall(field.description_ko):
            for item in re.split(r",|(?<=[가-힣])[와과]\s", listed):
                if compact(item):
                    examples.append((item.strip(), "", field.code))
        if field.description_ko:
            examples.append((field.name_ko, field.description_ko, field.code))
        for name, description in field.subgroups:
            examples.append((name, description, field.code))
    return examples


def file_examples(path: Path = EXAMPLES_FILE) -> list[tuple[str, str, str]]:
    """(name, '', code) for every row of the examples file (``name,category,source``)."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return [
            (row["name"].strip(), "", row["category"].strip())
            for row in csv.DictReader(stream)
            if row["name"].strip() and row["category"].strip()
        ]


def base_examples(fields: Sequence[Field] | None = None) -> list[tuple[str, str, str]]:
    """The examples file and the definitions: the training data that needs no database."""
    fields = fixture_fields() if fields is None else fields
    return file_examples() + definition_examples(fields)


def _digest(text: str) -> int:
    return zlib.crc32(text.encode())


def catalog_examples(params: Parameters = PARAMETERS) -> list[tuple[str, str, str]]:
    """The catalog's categorised services as (name, description, code), capped.

    Only fields a source stated or an editor chose, never a synthetic plan's services. Each
    field's services are taken in the order of a CRC-32 of their name (then name, then id),
    skipping names that fold to one already taken, until the field has
    ``catalog_per_category``; when the fields then hold more than ``catalog_limit`` in all,
    each keeps the same share of its names. The same rows always give the same sample, and
    a catalog of any size costs one pass over its names and one small query for the
    descriptions of those taken.
    """
    from catalog.models import Category, Service

    codes = dict(Category.objects.values_list("pk", "code"))
    by_field: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for pk, name, category in (
        Service.objects.filter(category_basis__in=TRAINING_BASES, plan__is_synthetic=False)
        .values_list("pk", "name", "category_id")
        .iterator(chunk_size=10_000)
    ):
        by_field[category].append((_digest(name), name, pk))
    picked: dict[int, list[tuple[int, str]]] = {}
    for category, rows in by_field.items():
        rows.sort()
        seen, taken = set(), []
        for _, name, pk in rows:
            key = compact(name)
            if key and key not in seen:
                seen.add(key)
                taken.append((pk, name.strip()))
                if len(taken) == params.catalog_per_category:
                    break
        picked[category] = taken
    total = sum(map(len, picked.values()))
    share = min(1.0, params.catalog_limit / total) if total else 1.0
    chosen = []
    for category in sorted(picked, key=lambda pk: codes[pk]):
        taken = picked[category]
        chosen.extend(
            (pk, name, codes[category]) for pk, name in taken[: max(1, int(len(taken) * share))]
        )
    descriptions: dict[int, str] = {}
    ids = [pk for pk, _, _ in chosen]
    for at in range(0, len(ids), DESCRIPTION_BATCH):
        descriptions.update(
            Service.objects.filter(pk__in=ids[at : at + DESCRIPTION_BATCH]).values_list(
                "pk", "description"
            )
        )
    return [(name, (descriptions.get(pk) or "").strip(), code) for pk, name, code in chosen]


# --------------------------------------------------------------------------- the model


class CategorySuggester:
    """A fitted model: ``suggest(name, description)`` → :class:`Suggestion`."""

    def __init__(self, vectorizer, model, codes: Sequence[str], params: Parameters):
        self._vectorizer = vectorizer
        self._model = model
        self.codes = tuple(codes)  # the fields, in the order of the model's columns
        self.params = params
        self.revision: int | None = None

    # construction ---------------------------------------------------------------------------

    @classmethod
    def from_examples(
        cls,
        examples: Iterable[tuple[str, str, str]],
        params: Parameters = PARAMETERS,
        codes: Sequence[str] | None = None,
    ) -> CategorySuggester:
        """Fit on (name, description, code) examples; no database.

        ``codes`` gives the fields' order (ties go to the field listed first) and limits the
        fields to those; by default the fields of ``fixtures/categories.json`` that have
        examples, then any other code in sorted order.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        rows = sorted(
            {
                (
                    normalise(name),
                    normalise((description or "")[: params.description_chars]),
                    code.strip(),
                )
                for name, description, code in examples
                if compact(name) and code and code.strip()
            }
        )
        present = {code for _, _, code in rows}
        if codes is None:
            order = [f.code for f in fixture_fields()]
            codes = [c for c in order if c in present] + sorted(present - set(order))
        else:
            codes = [c for c in dict.fromkeys(codes) if c in present]
            rows = [row for row in rows if row[2] in set(codes)]
        if len(codes) < 2:
            raise ValueError("category suggestion needs examples of at least two fields")

        vectorizer = TfidfVectorizer(
            analyzer="char",
            ngram_range=params.ngram_range,
            lowercase=False,
            sublinear_tf=True,
            dtype=np.float32,  # as exact as float64 here (same answers), and fits 3× faster
        )
        # Fitted on the names and the non-empty descriptions, read in one pass.
        described = [i for i, (_, description, _) in enumerate(rows) if description]
        counted = vectorizer.fit_transform(
            [name for name, _, _ in rows] + [rows[i][1] for i in described]
        )
        features = counted[: len(rows)]
        if described and params.description_weight:
            placed = sp.csr_matrix(
                (np.ones(len(described), dtype=np.float32), (described, range(len(described)))),
                shape=(len(rows), len(described)),
            )
            features = features + params.description_weight * (placed @ counted[len(rows) :])
        features = sp.csr_matrix(features)
        suggester = cls(vectorizer, None, codes, params)
        index = {code: i for i, code in enumerate(codes)}
        labels = np.array([index[code] for _, _, code in rows])
        model = LogisticRegression(
            C=params.C, class_weight=params.class_weight, solver="newton-cg", max_iter=1000
        )
        with single_threaded():
            model.fit(features, labels)
        suggester._model = model
        return suggester

    @classmethod
    def for_catalog(cls) -> CategorySuggester:
        """The model for the catalog as it is now: the examples file, the definitions of the
        fields in the database and the catalog's categorised services (see the module notes).

        Built once per catalog revision and kept in the process; kept only once the
        transaction it was read in commits, so a model built from rows that were rolled back
        never serves a revision number that comes again.
        """
        from django.db import transaction

        from catalog import revision

        number = revision.current()  # read first: the rows read next are at least this new
        held = _held
        if held is not None and held.revision == number:
            return held
        with _lock:
            held = _held
            if held is not None and held.revision == number:
                return held
            fields = database_fields()
            codes = [f.code for f in fields]
            examples = file_examples() + definition_examples(fields) + catalog_examples()
            suggester = cls.from_examples(examples, codes=codes)
            suggester.revision = number
        transaction.on_commit(lambda: _keep(suggester))
        return suggester

    # prediction -----------------------------------------------------------------------------

    def _features(self, names: Sequence[str], descriptions: Sequence[str]) -> sp.csr_matrix:
        matrix = self._vectorizer.transform(names)
        if any(descriptions) and self.params.description_weight:
            matrix = matrix + self.params.description_weight * self._vectorizer.transform(
                descriptions
            )
        return sp.csr_matrix(matrix)

    def probabilities(self, items: Sequence[tuple[str, str]]) -> np.ndarray:
        """One row per (name, description), one column per field of ``codes``; rows sum to 1."""
        if not items:
            return np.zeros((0, len(self.codes)))
        names = [normalise(name) for name, _ in items]
        cut = self.params.description_chars
        descriptions = [normalise((description or "")[:cut]) for _, description in items]
        with single_threaded():
            scores = self._model.decision_function(self._features(names, descriptions))
        if scores.ndim == 1:  # two fields: one score, for the second
            scores = np.column_stack([np.zeros_like(scores), scores])
        scores = scores / self.params.temperature
        scores -= scores.max(axis=1, keepdims=True)
        odds = np.exp(scores)
        return odds / odds.sum(axis=1, keepdims=True)

    def suggest(self, name: str, description: str = "") -> Suggestion:
        return self.suggest_many([(name, description)])[0]

    def suggest_many(self, items: Sequence[tuple[str, str]]) -> list[Suggestion]:
        """One suggestion per (name, description), in order. A name with no letters or digits
        gets the fields' prior (the model's answer to no evidence) — callers that must not
        guess check the name first."""
        probabilities = self.probabilities(items)
        # Stable sort of the negated probabilities: ties go to the field listed first.
        ranking = np.argsort(-probabilities, axis=1, kind="stable")
        suggestions = []
        for row, order in zip(probabilities, ranking, strict=True):
            first, second = order[0], order[1]
            suggestions.append(
                Suggestion(
                    category=self.codes[first],
                    confidence=float(row[first]),
                    alternative=self.codes[second],
                    alternative_confidence=float(row[second]),
                )
            )
        return suggestions


_lock = threading.Lock()
_held: CategorySuggester | None = None


def _keep(suggester: CategorySuggester) -> None:
    global _held
    with _lock:
        if _held is None or (_held.revision or 0) <= (suggester.revision or 0):
            _held = suggester


def clear() -> None:
    """Forget the catalog's model; the next ``for_catalog()`` fits again."""
    global _held
    with _lock:
        _held = None


# --------------------------------------------------------------------------- evaluation


def read_labelled(path: Path, split: str | None = None) -> list[tuple[str, str, str]]:
    """(name, description, category) rows of a labelled CSV (``name``, ``category``, optional
    ``description`` and ``split``), only those of ``split`` when it is given."""
    with Path(path).open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        missing = {"name", "category"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"missing column(s): {', '.join(sorted(missing))}")
        if split is not None and "split" not in (reader.fieldnames or ()):
            raise ValueError("no 'split' column")
        return [
            (row["name"].strip(), (row.get("description") or "").strip(), row["category"].strip())
            for row in reader
            if split is None or (row.get("split") or "").strip() == split
        ]


def evaluate(
    suggester: CategorySuggester,
    labelled: Sequence[tuple[str, str, str]],
    *,
    use_description: bool = False,
) -> dict:
    """Top-1 and top-2 accuracy, per-field recall and the mean confidence of right and wrong
    answers, for (name, description, category) rows. Names alone unless ``use_description``."""
    if not labelled:
        raise ValueError("no labelled rows")
    items = [(name, description if use_description else "") for name, description, _ in labelled]
    probabilities = suggester.probabilities(items)
    ranking = np.argsort(-probabilities, axis=1, kind="stable")
    codes = suggester.codes
    truth = [code for _, _, code in labelled]
    top1 = [codes[order[0]] == code for order, code in zip(ranking, truth, strict=True)]
    top2 = [
        code in (codes[order[0]], codes[order[1]])
        for order, code in zip(ranking, truth, strict=True)
    ]
    confidence = probabilities.max(axis=1)
    support = Counter(truth)
    hits = Counter(code for code, right in zip(truth, top1, strict=True) if right)
    order = [c for c in codes if c in support] + sorted(set(support) - set(codes))
    right = [c for c, ok in zip(confidence, top1, strict=True) if ok]
    wrong = [c for c, ok in zip(confidence, top1, strict=True) if not ok]
    return {
        "rows": len(labelled),
        "top1": sum(top1) / len(labelled),
        "top2": sum(top2) / len(labelled),
        "per_field": {
            code: {"rows": support[code], "recall": hits[code] / support[code]} for code in order
        },
        "mean_confidence_right": float(np.mean(right)) if right else None,
        "mean_confidence_wrong": float(np.mean(wrong)) if wrong else None,
        "log_loss": float(
            -np.mean(
                [
                    np.log(max(row[codes.index(code)] if code in codes else 0.0, 1e-12))
                    for row, code in zip(probabilities, truth, strict=True)
                ]
            )
        ),
    }
