"""Stage 4, diff: each row against the database and the other rows — create, update, unchanged
or error, and which fields change."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from catalog.importing.columns import COLUMN_BY_FIELD, COMPARED_FIELDS, TEXT_FIELDS
from catalog.importing.report import CREATE, ERROR, UNCHANGED, UPDATE, Change, RowResult
from catalog.models import Service, Tag

# What the import checks itself, in memory, so that validating a row costs no query.
CHECKED_BY_IMPORT = ("plan", "category", "subcategory", "published_by", "tags")


def find_duplicate_rows(p, rows: list[RowResult]) -> None:
    """Two rows may not create the same service or update the same one."""
    by_name: dict[tuple, int] = {}
    by_service: dict[int, int] = {}
    for row in rows:
        if row.plan_key is not None and row.name:
            key = (row.plan_key, row.name)
            if key in by_name:
                p.error(
                    row,
                    "name",
                    _(
                        "%(first)d행과 %(row)d행에 같은 계획의 같은 서비스명이 두 번 "
                        "나옵니다('%(name)s'). 한 행만 남기세요."
                    )
                    % {"first": by_name[key], "row": row.number, "name": row.name},
                )
            else:
                by_name[key] = row.number
        if row.service is not None:
            if row.service.pk in by_service:
                p.error(
                    row,
                    "id" if row.matched_by == "id" else "name",
                    _(
                        "%(first)d행과 %(row)d행이 같은 서비스(번호 %(id)d)를 가리킵니다. 한 행만 "
                        "남기세요."
                    )
                    % {
                        "first": by_service[row.service.pk],
                        "row": row.number,
                        "id": row.service.pk,
                    },
                )
            else:
                by_service[row.service.pk] = row.number


def finish(p, row: RowResult) -> None:
    """Classify the row and, when it would write, let the model validate it too."""
    if row.errors:
        row.action = ERROR
        return
    if row.service is None:
        row.changes = [
            Change(name, p.label(COLUMN_BY_FIELD[name].key), "", new)
            for name in COMPARED_FIELDS
            if (new := display(p, name, row.values.get(name)))
        ]
        if row.tags:
            row.changes.append(Change("tags", p.label("tags"), "", display(p, "tags", row.tags)))
        candidate = Service(plan=row.plan, is_published=False, **row.values)
    else:
        row.changes = changes(p, row.service, row.values, row.tags)
        if not row.changes:
            row.action = UNCHANGED
            return
        candidate = copy_service(row.service)
        for name, value in row.values.items():
            setattr(candidate, name, value)
    for name, messages in model_errors(candidate).items():
        column = COLUMN_BY_FIELD.get(name)
        for message in messages:
            p.error(row, column.key if column else None, message)
    row.action = ERROR if row.errors else (CREATE if row.service is None else UPDATE)


def model_errors(candidate: Service) -> dict[str, list[str]]:
    """What the model's own field and ``clean`` checks say about ``candidate``.

    Uniqueness within a plan, the plan and the references were checked by the import against
    what it loaded, so no check here needs the database.
    """
    try:
        candidate.clean_fields(exclude=CHECKED_BY_IMPORT)
        candidate.clean()
    except ValidationError as exc:
        return {
            (None if name == NON_FIELD_ERRORS else name): [str(m) for m in messages]
            for name, messages in exc.message_dict.items()
        }
    return {}


def copy_service(service: Service) -> Service:
    """An unsaved twin of ``service`` (same pk) to validate new values on."""
    twin = Service(
        **{f.attname: getattr(service, f.attname) for f in Service._meta.concrete_fields}
    )
    twin._state.adding = False
    twin._state.db = service._state.db
    twin.plan = service.plan
    twin.category = service.category
    twin.subcategory = service.subcategory
    return twin


def display(p, name: str, value) -> str:
    if value is None:
        return ""
    if name in ("category", "subcategory"):
        return value.name
    if name == "status":
        return p.refs.status_labels[value]
    if name == "category_basis":
        return p.refs.basis_labels[value]
    if name == "tags":
        return "; ".join(tag.name for tag in value)
    return str(value)


def _same_text(old: str, new: str) -> bool:
    def norm(text: str) -> str:
        return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()

    return norm(old) == norm(new)


def changed_fields(service: Service, values: dict) -> list[str]:
    changed = []
    for name, new in values.items():
        if name in ("category", "subcategory", "plan"):
            if getattr(service, f"{name}_id") != (new.pk if new is not None else None):
                changed.append(name)
        elif name in TEXT_FIELDS:
            if not _same_text(getattr(service, name), new):
                changed.append(name)
        elif getattr(service, name) != new:
            changed.append(name)
    return changed


def tags_differ(service: Service, tags: list[Tag] | None) -> bool:
    if tags is None:
        return False
    return {tag.pk for tag in service.tags.all()} != {tag.pk for tag in tags}


def changes(p, service: Service, values: dict, tags) -> list[Change]:
    """What the row changes on ``service``."""
    result = [
        Change(
            name,
            p.label(COLUMN_BY_FIELD[name].key),
            display(p, name, getattr(service, name)),
            display(p, name, values[name]),
        )
        for name in changed_fields(service, values)
    ]
    if tags_differ(service, tags):
        result.append(
            Change(
                "tags",
                p.label("tags"),
                display(p, "tags", list(service.tags.all())),
                display(p, "tags", tags),
            )
        )
    return result
