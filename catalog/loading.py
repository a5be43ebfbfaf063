"""Idempotent loading of the project's fixtures.

Django's ``loaddata`` re-saves every object it reads. The catalog's reference and demo data
are loaded on every start, so this loader matches objects by their natural key (code, plan
title, service name), writes only what differs, validates each object before writing and
reports what it created, updated and left unchanged. Running it twice changes nothing.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.db import models, transaction

FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures"
REFERENCE_FIXTURES = ("municipalities.json", "categories.json", "tags.json")
DEMO_FIXTURES = ("demo.json",)


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        models_seen = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return [
            f"{label}: {self.created[label]} created, {self.updated[label]} updated, "
            f"{self.unchanged[label]} unchanged"
            for label in models_seen
        ]


class _DryRunRollback(Exception):
    pass


def load_fixtures(names: tuple[str, ...], *, dry_run: bool = False) -> LoadReport:
    """Load the named fixture files of ``fixtures/`` in one transaction."""
    report = LoadReport()
    try:
        with transaction.atomic():
            for name in names:
                _load_file(FIXTURE_DIR / name, report)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def _load_file(path: Path, report: LoadReport) -> None:
    with path.open(encoding="utf-8") as stream:
        for deserialized in serializers.deserialize(
            "json", stream, use_natural_foreign_keys=True, use_natural_primary_keys=True
        ):
            _apply(deserialized, report)


def _apply(deserialized, report: LoadReport) -> None:
    incoming = deserialized.object
    model = type(incoming)
    label = model._meta.label
    wanted_m2m = deserialized.m2m_data or {}

    if incoming.pk is None:
        incoming.full_clean()
        incoming.save()
        for name, pks in wanted_m2m.items():
            getattr(incoming, name).set(pks)
        report.created[label] += 1
        return

    current = model._base_manager.get(pk=incoming.pk)
    changed = [
        f
        for f in _comparable_fields(model)
        if getattr(current, f.attname) != getattr(incoming, f.attname)
    ]
    for f in changed:
        setattr(current, f.attname, getattr(incoming, f.attname))
    if changed:
        current.full_clean()
        current.save(update_fields=[f.name for f in changed])
    m2m_changed = [
        name
        for name, pks in wanted_m2m.items()
        if set(getattr(current, name).values_list("pk", flat=True)) != set(pks)
    ]
    for name in m2m_changed:
        getattr(current, name).set(wanted_m2m[name])
    if changed or m2m_changed:
        report.updated[label] += 1
    else:
        report.unchanged[label] += 1


def _comparable_fields(model: type[models.Model]) -> list[models.Field]:
    """Fields a fixture sets; timestamps and derived search columns are the model's own."""
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]
