"""Stage 5, apply: write a preview in one transaction — every row, or nothing.

New services are written in bulk (with their tags and history rows), so a 10,000-row file
costs a few dozen statements rather than ten per row; updates go through ``save()`` one by
one, as they are few and each must be checked against the row as it is now.
"""

from dataclasses import dataclass, field
from itertools import islice

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import revision
from catalog.importing.columns import COLUMN_BY_FIELD
from catalog.importing.diff import changed_fields, model_errors, tags_differ
from catalog.importing.report import CREATE, UPDATE, ImportPreview, Issue, RowResult
from catalog.models import Plan, Service

BATCH_SIZE = 500


class ImportRefused(Exception):
    """``apply`` wrote nothing: the preview has errors, or the data changed since."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join([_("가져오기를 하지 않았습니다(아무것도 쓰지 않음):"), *lines]))


@dataclass
class ImportResult:
    created: list[Service] = field(default_factory=list)
    updated: list[Service] = field(default_factory=list)
    unchanged: int = 0
    plans_created: list[Plan] = field(default_factory=list)
    published: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            CREATE: len(self.created),
            UPDATE: len(self.updated),
            "unchanged": self.unchanged,
            "plans": len(self.plans_created),
            "published": self.published,
        }

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.plans_created or self.published)

    def lines(self) -> list[str]:
        """What was written, in both languages, for the command line."""
        lines = []
        if self.plans_created:
            lines.append(f"새 계획 / plans created: {len(self.plans_created)}")
        draft = "" if self.published else " (비공개 초안 / unpublished drafts)"
        lines += [
            f"새로 만듦 / created: {len(self.created)}{draft}",
            f"고침 / updated: {len(self.updated)}",
            f"그대로 / unchanged: {self.unchanged}",
        ]
        if self.published:
            lines.append(f"공개 / published: {self.published}")
        return lines


def apply(preview: ImportPreview, *, user=None, publish: bool = False) -> ImportResult:
    """Write the preview in one transaction: every row or, on any error, nothing.

    ``user``, when given, is recorded as the author in the change history (and as the
    publisher). ``publish`` publishes every service of the file, recording who and when, as
    the admin's publish action does. Raises ``ImportRefused`` when the preview has errors, was
    applied already, or a row no longer fits the database.
    """
    if preview.has_errors:
        raise ImportRefused(preview.error_lines())
    if preview.applied:
        raise ImportRefused(
            [_("이미 적용한 미리보기입니다. 파일을 다시 읽어 미리보기를 만드세요.")]
        )
    result = ImportResult()
    reason = (_("가져오기: %(file)s") % {"file": preview.filename})[:100]
    stamp = _Stamp(user, reason, publish, timezone.now())
    with transaction.atomic():
        result.plans_created = _create_plans(preview, stamp)
        creating = preview.rows_to(CREATE)
        result.created = _create_services(creating, stamp)
        for row in preview.rows:
            if row.action == UPDATE:
                service, newly_published = _update(row, stamp)
                if service is None:
                    result.unchanged += 1
                else:
                    result.updated.append(service)
                    result.published += newly_published
            elif row.action != CREATE:
                result.unchanged += 1
                if publish and _publish_unchanged(row, stamp):
                    result.published += 1
        if publish:
            result.published += len(result.created)
        if result.created:
            revision.bump()  # bulk writes send no signals
    preview.applied = True
    return result


@dataclass(frozen=True)
class _Stamp:
    """Who, why and when, for every row an import writes."""

    user: object
    reason: str
    publish: bool
    now: object

    def mark(self, instance) -> None:
        """What django-simple-history reads when ``instance`` is saved."""
        instance._change_reason = self.reason
        if self.user is not None:
            instance._history_user = self.user

    def publication(self, service: Service) -> bool:
        """Publish ``service`` (unsaved) if the import publishes; whether it was a draft."""
        if self.publish and not service.is_published:
            service.is_published = True
            service.published_at = self.now
            service.published_by = self.user
            return True
        return False


def _refused(row_number: int | None, messages: list[tuple[str | None, str]]) -> ImportRefused:
    lines = []
    for name, message in messages:
        column = COLUMN_BY_FIELD.get(name)
        lines.append(str(Issue(row_number, column.header if column else None, message)))
    lines.append(_("미리보기 뒤에 데이터가 바뀌었을 수 있습니다. 파일을 다시 읽어 확인하세요."))
    return ImportRefused(lines)


def _create_plans(preview: ImportPreview, stamp: _Stamp) -> list[Plan]:
    created = []
    for new in preview.new_plans:
        plan = new.plan
        stamp.mark(plan)
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError as exc:
            raise _refused(
                new.first_row,
                [
                    (
                        None,
                        _("계획을 만들 수 없습니다('%(title)s'): %(error)s")
                        % {"title": plan.title, "error": exc},
                    )
                ],
            ) from exc
        created.append(plan)
    return created


def _create_services(rows: list[RowResult], stamp: _Stamp) -> list[Service]:
    services = []
    for row in rows:
        service = Service(plan=row.plan, is_published=False, **row.values)
        stamp.publication(service)
        service.refresh_search_fields()
        stamp.mark(service)
        services.append(service)
    try:
        with transaction.atomic():
            created = []
            for batch in _batches(services):
                created += Service.objects.bulk_create(batch)
    except IntegrityError as exc:
        raise _refused_names(rows) or _refused(
            None, [(None, _("데이터베이스가 행을 거부했습니다: %(error)s") % {"error": exc})]
        ) from exc
    links = Service.tags.through.objects.bulk_create(
        [
            Service.tags.through(service_id=service.pk, tag_id=tag.pk)
            for service, row in zip(created, rows, strict=True)
            for tag in row.tags or ()
        ],
        batch_size=BATCH_SIZE,
    )
    _history_of_new(created, links, stamp)
    return created


def _refused_names(rows: list[RowResult]) -> ImportRefused | None:
    """The rows whose name someone gave another service of the plan since the preview."""
    plan_ids = {row.plan.pk for row in rows}
    taken = set(Service.objects.filter(plan_id__in=plan_ids).values_list("plan_id", "name"))
    clashes = [row for row in rows if (row.plan.pk, row.values.get("name")) in taken]
    if not clashes:
        return None
    message = _("이 계획에 같은 이름의 서비스가 이미 있습니다.")
    lines = [str(Issue(row.number, COLUMN_BY_FIELD["name"].header, message)) for row in clashes]
    lines.append(_("미리보기 뒤에 데이터가 바뀌었을 수 있습니다. 파일을 다시 읽어 확인하세요."))
    return ImportRefused(lines)


def _history_of_new(services: list[Service], links: list, stamp: _Stamp) -> None:
    """One "created" history record per service, with its tags, as a save would write."""
    history = Service.history.bulk_history_create(
        services,
        batch_size=BATCH_SIZE,
        default_user=stamp.user,
        default_change_reason=stamp.reason,
        default_date=stamp.now,
    )
    record_of = {record.id: record for record in history}
    tag_history = Service.history.model.tags.model
    tag_history.objects.bulk_create(
        [
            tag_history(
                id=link.pk,
                history=record_of[link.service_id],
                service_id=link.service_id,
                tag_id=link.tag_id,
            )
            for link in links
        ],
        batch_size=BATCH_SIZE,
    )


def _batches(items: list, size: int = BATCH_SIZE):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _save(service: Service, row: RowResult, **kwargs) -> None:
    try:
        with transaction.atomic():
            service.save(**kwargs)
    except IntegrityError as exc:
        raise _refused(
            row.number,
            [(None, _("데이터베이스가 이 행을 거부했습니다: %(error)s") % {"error": exc})],
        ) from exc


def _update(row: RowResult, stamp: _Stamp) -> tuple[Service | None, bool]:
    """Bring the matched service to the row's values (and publish it when the import
    publishes): the service, or ``None`` if it already had them, and whether it was published
    now."""
    service = Service.objects.select_for_update().filter(pk=row.service.pk).first()
    if service is None:
        raise _refused(
            row.number, [(None, _("번호 %(id)d인 서비스가 지워졌습니다.") % {"id": row.service.pk})]
        )
    changed = changed_fields(service, row.values)
    tags_changed = tags_differ(service, row.tags)
    newly_published = stamp.publication(service)
    if not changed and not tags_changed and not newly_published:
        return None, False
    for name in changed:
        setattr(service, name, row.values[name])
    if changed:  # the service may have changed since the preview: validate the whole of it
        errors = model_errors(service)
        if errors:
            raise _refused(row.number, [(n, m) for n, messages in errors.items() for m in messages])
    if newly_published:
        changed += ["is_published", "published_at", "published_by"]
    stamp.mark(service)
    _save(service, row, update_fields=[*changed, "updated_at"])
    if tags_changed:
        service.tags.set(row.tags)
    return service, newly_published


def _publish_unchanged(row: RowResult, stamp: _Stamp) -> bool:
    """Publish the draft an unchanged row matched; whether there was one to publish."""
    if row.service is None or row.service.is_published:
        return False
    service = Service.objects.select_for_update().filter(pk=row.service.pk).first()
    if service is None or not stamp.publication(service):
        return False
    stamp.mark(service)
    _save(
        service, row, update_fields=["is_published", "published_at", "published_by", "updated_at"]
    )
    return True
