"""What staff curation teaches the duplication method, and why a cluster holds together.

Besides what curation records about the services it was decided on (confirmed clusters,
``NotSameIdea``), each decision in the admin teaches the method a pair of *names*
(:class:`~analysis.models.LearnedEquivalence`), so that later runs treat the services of other
municipalities named alike the same way:

============================  ======================================================  ========
decision                      learned                                                 source
============================  ======================================================  ========
confirm a cluster             same: its central member (the name its label is) and    confirm
                              each member whose name normalises differently
merge clusters                same: the central members of the clusters merged        merge
move a service into a cluster same: the service and the cluster's central member      move
move a service out            different: the service and each remaining member        remove
"not the same idea"           different: the two services                             not_same
============================  ======================================================  ========

A name is stored as the method's normalised text (``duplication.normalise_name`` of the name
without its municipality: ``주차면 감지`` → ``주차안내``) with the name as written as its example;
pairs whose texts are equal or empty teach nothing. A pair already learned is not stored twice
(an entry that was stopped is used again, as the latest decision), and a decision replaces an
active opposite one on the same pair. Every change moves the catalog revision, so the analysis
worker runs the method again.

``find_and_store`` passes the active entries to the method (:func:`equivalences`); staff stop
using an entry, or use it again, in the admin. :func:`describe` turns a cluster's stored
explanation into one line for pages and exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analysis import duplication
from analysis.models import ClusterMember, EquivalenceKind, LearnedEquivalence
from catalog import revision
from catalog.models import Service

TEXT_LENGTH = 200  # LearnedEquivalence.first / second / *_example

# Who may do what with learned entries. They are curation, so whoever may curate clusters
# (reviewers, administrators) may see them and stop or resume using them; deleting one (its
# record goes) is for those who may delete clusters: administrators.
CURATE_PERMISSIONS = ("analysis.change_learnedequivalence", "analysis.change_ideacluster")
DELETE_PERMISSIONS = ("analysis.delete_learnedequivalence", "analysis.delete_ideacluster")


class Source:
    CONFIRM = "confirm"
    MERGE = "merge"
    MOVE = "move"
    REMOVE = "remove"
    NOT_SAME = "not_same"


SOURCE_LABELS = {
    Source.CONFIRM: gettext_lazy("묶음 확정"),
    Source.MERGE: gettext_lazy("묶음 합치기"),
    Source.MOVE: gettext_lazy("묶음에 넣음"),
    Source.REMOVE: gettext_lazy("묶음에서 뺌"),
    Source.NOT_SAME: gettext_lazy("다른 아이디어 결정"),
}


def may_curate(user) -> bool:
    return bool(
        user.is_active and user.is_staff and any(user.has_perm(p) for p in CURATE_PERMISSIONS)
    )


def may_delete(user) -> bool:
    return bool(
        user.is_active and user.is_staff and any(user.has_perm(p) for p in DELETE_PERMISSIONS)
    )


# -- names ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """A service's name as the method compares it (``text``) and as people wrote it."""

    example: str
    text: str


@lru_cache(maxsize=8192)
def _normalised(display: str) -> str:
    return duplication.normalise_name(display)[:TEXT_LENGTH]


def name_of(service_name: str, municipality_name: str = "") -> Name:
    display = duplication.display_name(service_name, municipality_name)[:TEXT_LENGTH]
    return Name(display, _normalised(display))


def _service_names(service_ids: Iterable[int]) -> dict[int, Name]:
    rows = Service.objects.filter(pk__in=list(service_ids)).values_list(
        "pk", "name", "plan__municipality__name"
    )
    return {pk: name_of(name, municipality) for pk, name, municipality in rows}


@dataclass
class _Cluster:
    label: str
    members: list[tuple[int, Name]]  # most central first

    def central(self, leaving: Iterable[int] = ()) -> Name | None:
        """The member whose name the label is (the method labels a cluster with its central
        member's name), else the most central one; members in ``leaving`` do not count."""
        leaving = set(leaving)
        names = [name for sid, name in self.members if sid not in leaving and name.text]
        wanted = _normalised(duplication.display_name(self.label))
        return next((name for name in names if name.text == wanted), names[0] if names else None)


def _clusters(cluster_ids: Iterable[int]) -> dict[int, _Cluster]:
    rows = (
        ClusterMember.objects.filter(cluster_id__in=list(cluster_ids))
        .order_by("cluster_id", "-similarity", "service_id")
        .values_list(
            "cluster_id", "cluster__label", "service_id", "service__name",
            "service__plan__municipality__name",
        )
    )  # fmt: skip
    clusters: dict[int, _Cluster] = {}
    for cluster_id, label, service_id, name, municipality in rows:
        cluster = clusters.setdefault(cluster_id, _Cluster(label, []))
        cluster.members.append((service_id, name_of(name, municipality)))
    return clusters


# -- what each decision teaches -----------------------------------------------------------


def confirmed(cluster_ids: Iterable[int], user) -> int:
    """Staff confirmed these clusters: each member is the same idea as the central one."""
    pairs = []
    for cluster in _clusters(cluster_ids).values():
        central = cluster.central()
        pairs += [(central, name) for _sid, name in cluster.members if central]
    return record(EquivalenceKind.SAME, pairs, user, Source.CONFIRM)


def merged(cluster_ids: Iterable[int], user) -> int:
    """Staff merged these clusters (call before their members move): the first's central
    member is the same idea as each other's."""
    ids = list(cluster_ids)
    clusters = _clusters(ids)
    centrals = [clusters[pk].central() for pk in ids if pk in clusters]
    centrals = [name for name in centrals if name]
    pairs = [(centrals[0], other) for other in centrals[1:]] if centrals else []
    return record(EquivalenceKind.SAME, pairs, user, Source.MERGE)


def moved_in(cluster_id: int, service_ids: Iterable[int], user) -> int:
    """Staff moved these services into the cluster: each is the same idea as its central
    member (chosen among the members that were there before)."""
    ids = set(service_ids)
    cluster = _clusters([cluster_id]).get(cluster_id)
    central = cluster.central(leaving=ids) if cluster else None
    if central is None:
        return 0
    names = _service_names(ids)
    return record(EquivalenceKind.SAME, [(central, n) for n in names.values()], user, Source.MOVE)


def removed(service_id: int, remaining_ids: Iterable[int], user) -> int:
    """Staff moved a service out of a cluster: it is not the same idea as those that stay."""
    names = _service_names([service_id, *remaining_ids])
    leaving = names.pop(service_id, None)
    pairs = [(leaving, other) for other in names.values()] if leaving else []
    return record(EquivalenceKind.DIFFERENT, pairs, user, Source.REMOVE)


def not_same(first_id: int, second_id: int, user) -> int:
    """Staff decided two services are different ideas."""
    names = _service_names([first_id, second_id])
    if len(names) < 2:
        return 0
    return record(
        EquivalenceKind.DIFFERENT, [(names[first_id], names[second_id])], user, Source.NOT_SAME
    )


def record(kind: str, pairs: Iterable[tuple[Name, Name]], user, source: str) -> int:
    """Store what ``pairs`` teach; returns how many entries were added or used again.

    Pairs of equal or empty texts are skipped and repeats stored once. An entry that exists
    and is in use is left as it was decided; one that was stopped is used again with this
    decision's author, time and source; an active entry of the other kind on the same pair
    is stopped (the later decision wins).
    """
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for a, b in pairs:
        if not a.text or not b.text or a.text == b.text:
            continue
        low, high = sorted((a, b), key=lambda name: name.text)
        wanted.setdefault((low.text, high.text), (low.example, high.example))
    if not wanted:
        return 0
    texts = {text for pair in wanted for text in pair}
    existing: dict[tuple[str, frozenset], LearnedEquivalence] = {
        (entry.kind, frozenset((entry.first, entry.second))): entry
        for entry in LearnedEquivalence.objects.filter(first__in=texts, second__in=texts)
    }
    opposite = EquivalenceKind.DIFFERENT if kind == EquivalenceKind.SAME else EquivalenceKind.SAME
    now = timezone.now()
    fresh, resumed, stopped = [], [], []
    for (low, high), (low_example, high_example) in wanted.items():
        key = frozenset((low, high))
        contrary = existing.get((opposite, key))
        if contrary is not None and contrary.is_active:
            stopped.append(contrary.pk)
        entry = existing.get((kind, key))
        if entry is None:
            fresh.append((low, high, low_example, high_example))
        elif not entry.is_active:
            entry.is_active, entry.decided_by, entry.decided_at = True, user, now
            entry.source = source
            resumed.append(entry)
    in_db_order = _in_database_order([(low, high) for low, high, *_ in fresh])
    LearnedEquivalence.objects.bulk_create(
        [
            LearnedEquivalence(
                kind=kind,
                first=low if ordered else high,
                second=high if ordered else low,
                first_example=(low_example if ordered else high_example)[:TEXT_LENGTH],
                second_example=(high_example if ordered else low_example)[:TEXT_LENGTH],
                source=source,
                decided_by=user,
                is_active=True,
            )
            for (low, high, low_example, high_example), ordered in zip(
                fresh, in_db_order, strict=True
            )
        ],
        ignore_conflicts=True,  # the same decision made at the same moment by someone else
    )
    LearnedEquivalence.objects.bulk_update(
        resumed, ["is_active", "decided_by", "decided_at", "source"]
    )
    LearnedEquivalence.objects.filter(pk__in=stopped).update(is_active=False)
    if fresh or resumed or stopped:
        revision.bump()  # the next run (the analysis worker's) learns it
    return len(fresh) + len(resumed)


def _in_database_order(pairs: list[tuple[str, str]]) -> list[bool]:
    """For each pair, whether the database sorts its first text before its second.

    Entries are stored with ``first < second`` as the database compares text, which depends
    on its collation (``en_US`` ignores ``*`` where Python does not), so the database says.
    """
    answers: list[bool] = []
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        columns = ", ".join(["CAST(%s AS TEXT) < CAST(%s AS TEXT)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns}", [text for pair in chunk for text in pair])
            answers += [bool(value) for value in cursor.fetchone()]
    return answers


def set_active(entries, active: bool) -> int:
    """Stop using ``entries`` (a queryset), or use them again; returns how many changed."""
    changed = entries.exclude(is_active=active).update(is_active=active)
    if changed:
        revision.bump()
    return changed


# -- what runs use --------------------------------------------------------------------------


def active_entries():
    return LearnedEquivalence.objects.filter(is_active=True)


def equivalences() -> duplication.Equivalences:
    """The active entries as the method takes them: pairs of names as written (the run
    normalises them as it normalises every name)."""
    same, different = [], []
    rows = (
        active_entries()
        .order_by("pk")
        .values_list("kind", "first", "second", "first_example", "second_example")
    )
    for kind, first, second, first_example, second_example in rows:
        pair = (first_example or first, second_example or second)
        (same if kind == EquivalenceKind.SAME else different).append(pair)
    return duplication.Equivalences(same=tuple(same), different=tuple(different))


def explain_members(
    members: dict[int, list[tuple[int, float]]],
    records: list[duplication.Record],
    params: duplication.Parameters,
    equivalences: duplication.Equivalences,
) -> dict[int, dict]:
    """Explanations of clusters the method did not make (confirmed ones): ``members`` maps a
    cluster id to its (service id, similarity); services not in ``records`` are left out."""
    if not members:
        return {}
    by_id = {record.id: record for record in records}
    normaliser = duplication.build_normaliser(records, params)
    learned = equivalences.normalised(normaliser)
    lexicon = duplication.load_lexicon() if params.use_lexicon else None
    explained = {}
    for cluster_id, rows in members.items():
        found = [by_id[sid] for sid, _sim in rows if sid in by_id]
        texts = [normaliser.normalise(r.name, r.municipality_name) for r in found]
        explanation = duplication.explain(
            [r.name for r in found], texts, texts if learned.same else [], lexicon, learned
        )
        explanation["similarity"] = round(sum(sim for _sid, sim in rows) / len(rows), 4)
        explained[cluster_id] = explanation
    return explained


def with_similarity(explanation: dict, members: list[tuple[int, float]]) -> dict:
    """``explanation`` with the mean similarity of ``members`` (after curation took some)."""
    if not members:
        return dict(explanation)
    return {**explanation, "similarity": round(sum(s for _id, s in members) / len(members), 4)}


# -- telling why ------------------------------------------------------------------------------


@dataclass
class Reasons:
    """A stored explanation, read defensively (older runs stored none)."""

    terms: list[str]
    synonyms: list[tuple[str, list[str]]]  # (group label, terms used)
    learned: list[tuple[str, str]]
    similarity: float | None

    @classmethod
    def of(cls, explanation) -> Reasons:
        explanation = explanation if isinstance(explanation, dict) else {}
        synonyms = [
            (str(group.get("label", "")), [str(t) for t in group.get("terms", [])])
            for group in explanation.get("synonyms") or []
            if isinstance(group, dict)
        ]
        learned = [
            (str(pair[0]), str(pair[1]))
            for pair in explanation.get("learned") or []
            if isinstance(pair, list | tuple) and len(pair) == 2
        ]
        similarity = explanation.get("similarity")
        return cls(
            [str(term) for term in explanation.get("terms") or []],
            synonyms,
            learned,
            float(similarity) if isinstance(similarity, int | float) else None,
        )

    def __bool__(self) -> bool:
        return bool(self.terms or self.synonyms or self.learned or self.similarity is not None)


def reason_rows(explanation) -> list[tuple[str, str]]:
    """Each kind of reason with all its items, in words: the list of
    ``analysis/includes/why_grouped.html`` on idea pages and in the admin (``describe`` says
    the same in one line); empty for a cluster without an explanation."""
    reasons = Reasons.of(explanation)
    rows = []
    if reasons.terms:
        rows.append((_("공통 핵심어"), ", ".join(reasons.terms)))
    if reasons.synonyms:
        groups = "; ".join(f"{label}: {' = '.join(terms)}" for label, terms in reasons.synonyms)
        rows.append((_("동의어(어휘집)"), groups))
    if reasons.learned:
        rows.append(
            (_("배운 같음(담당자 결정)"), ", ".join(f"{a} = {b}" for a, b in reasons.learned))
        )
    if reasons.similarity is not None:
        rows.append((_("평균 유사도"), f"{reasons.similarity:.2f}"))
    return rows


def describe(explanation, limit: int = 3) -> str:
    """One line: ``공통어 횡단보도; 동의어 쓰레기=폐기물; 배운 같음 주차공유=주차안내; 유사도 0.87``
    (at most ``limit`` items of each kind); empty for a cluster without an explanation."""
    reasons = Reasons.of(explanation)
    parts = []
    if reasons.terms:
        parts.append(_("공통어 %(terms)s") % {"terms": ", ".join(reasons.terms[:limit])})
    if reasons.synonyms:
        groups = ", ".join("=".join(terms) for _label, terms in reasons.synonyms[:limit])
        parts.append(_("동의어 %(groups)s") % {"groups": groups})
    if reasons.learned:
        pairs = ", ".join(f"{a}={b}" for a, b in reasons.learned[:limit])
        parts.append(_("배운 같음 %(pairs)s") % {"pairs": pairs})
    if reasons.similarity is not None:
        parts.append(_("유사도 %(value).2f") % {"value": reasons.similarity})
    return "; ".join(parts)
