"""Stage 2, resolve: names in the file to rows of the database.

Municipalities by code (current or former) or name (``catalog.municipalities``), plans by
municipality and title (or a new plan the file describes), fields, sub-groups, tags, statuses
and plan kinds by code or name in either language. Everything is read once per import, so a
row costs no query.
"""

import difflib
from functools import cached_property

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import override

from catalog.importing.hints import NEAREST_SHOWN, nearest
from catalog.importing.report import Issue, NewPlan
from catalog.importing.validate import (
    PLAN_FIELD_KEYS,
    parse_id,
    plan_value_display,
    plan_values,
)
from catalog.models import Category, Municipality, Plan, PlanKind, Service, SubCategory, Tag
from catalog.municipalities import MunicipalityResolver
from catalog.text import compact

# Words in a plan's kind or title that say which kind it is, most specific first.
PLAN_KIND_WORDS: tuple[tuple[str, str], ...] = (
    ("챌린지", PlanKind.CHALLENGE),
    ("challenge", PlanKind.CHALLENGE),
    ("솔루션", PlanKind.SOLUTION),
    ("solution", PlanKind.SOLUTION),
    ("조성사업", PlanKind.DEVELOPMENT),
    ("거점형", PlanKind.DEVELOPMENT),
    ("강소형", PlanKind.DEVELOPMENT),
    ("국가시범도시", PlanKind.DEVELOPMENT),
    ("development", PlanKind.DEVELOPMENT),
    ("스마트도시계획", PlanKind.MASTER_PLAN),
    ("스마트시티계획", PlanKind.MASTER_PLAN),
    ("기본계획", PlanKind.MASTER_PLAN),
    ("masterplan", PlanKind.MASTER_PLAN),
)


PLANS_LISTED = 10  # a local government's plans named when a title is not found


def choice_labels(choices, language: str) -> dict[str, str]:
    with override(language):
        return {value: str(label) for value, label in choices}


def plan_kind_in(text: str) -> str | None:
    """The plan kind a kind cell or a plan title names, if any: 거점형 조성사업 → development."""
    folded = compact(text)
    return next((kind for word, kind in PLAN_KIND_WORDS if word in folded), None)


class References:
    """Everything an import looks names up in, loaded once."""

    def __init__(self):
        self.municipalities = MunicipalityResolver.load()
        self.categories = list(Category.objects.order_by("order"))
        self.category_by_code = {category.code: category for category in self.categories}
        self.category_index: dict[str, Category] = {}
        for category in self.categories:
            for name in (category.code, category.name_ko, category.name_en):
                self.category_index[compact(name)] = category
        self.subcategories = list(SubCategory.objects.select_related("category"))
        self.subcategory_index: dict[str, list[SubCategory]] = {}
        for sub in self.subcategories:
            for name in {compact(sub.code), compact(sub.name_ko), compact(sub.name_en)}:
                self.subcategory_index.setdefault(name, []).append(sub)
        self.tags = list(Tag.objects.all())
        self.tag_exact: dict[str, Tag] = {}
        self.tag_loose: dict[str, list[Tag]] = {}
        for tag in self.tags:
            for name in (tag.slug, tag.name):
                self.tag_exact.setdefault(name.casefold(), tag)
                loose = self.tag_loose.setdefault(compact(name), [])
                if tag not in loose:
                    loose.append(tag)
        self.status_labels = choice_labels(Service.Status.choices, "ko")
        self.status_index = self._choice_index(Service.Status.choices)
        self.basis_labels = choice_labels(Service.CategoryBasis.choices, "ko")
        self.basis_index = self._choice_index(Service.CategoryBasis.choices)
        self.plan_kind_index = self._choice_index(PlanKind.choices)
        self._plans: dict[tuple[str, str], Plan | None] = {}
        self._plan_titles: dict[int, list[str]] = {}

    @staticmethod
    def _choice_index(choices) -> dict[str, str]:
        index: dict[str, str] = {}
        for language in ("en", "ko"):
            for value, label in choice_labels(choices, language).items():
                index[compact(value)] = value
                index[compact(label)] = value
        return index

    # lookups: None when unknown

    def category(self, raw: str) -> Category | None:
        return self.category_index.get(compact(raw))

    def status(self, raw: str) -> str | None:
        return self.status_index.get(compact(raw))

    def basis(self, raw: str) -> str | None:
        return self.basis_index.get(compact(raw))

    def plan_kind(self, raw: str) -> str | None:
        return self.plan_kind_index.get(compact(raw)) or plan_kind_in(raw)

    def subcategories_named(self, raw: str) -> list[SubCategory]:
        return self.subcategory_index.get(compact(raw), [])

    def tag(self, name: str) -> Tag | None:
        tag = self.tag_exact.get(name.casefold())
        if tag is None:
            loose = self.tag_loose.get(compact(name), [])
            tag = loose[0] if len(loose) == 1 else None
        return tag

    def plan(self, municipality, title: str) -> Plan | None:
        key = (municipality.code, title)
        if key not in self._plans:
            self._plans[key] = (
                Plan.objects.select_related("municipality__parent")
                .filter(municipality=municipality, title=title)
                .first()
            )
        return self._plans[key]

    # names for messages

    def category_names(self) -> str:
        return ", ".join(category.name for category in self.categories)

    def tag_names(self) -> str:
        return ", ".join(tag.name for tag in self.tags)

    def status_names(self) -> str:
        return ", ".join(str(label) for _value, label in Service.Status.choices)

    def plan_kind_names(self) -> str:
        return ", ".join(f"{label}({value})" for value, label in PlanKind.choices)

    def unknown_category(self, raw: str) -> str:
        names = [category.name for category in self.categories]
        message = _("알 수 없는 분야 '%(value)s'입니다. 쓸 수 있는 분야: %(names)s.") % {
            "value": raw,
            "names": self.category_names(),
        }
        return message + nearest(raw, names)

    def subcategory_names(self) -> str:
        return ", ".join(str(sub) for sub in self.subcategories)

    @cached_property
    def municipality_codes(self) -> dict[str, str]:
        """Every local government's code and name, for the codes nearest an unknown one."""
        rows = Municipality.objects.select_related("parent").order_by("code")
        return {m.code: f"{m.code} {m}" for m in rows}

    def plan_titles(self, municipality) -> list[str]:
        if municipality.pk not in self._plan_titles:
            titles = Plan.objects.filter(municipality=municipality).values_list("title", flat=True)
            self._plan_titles[municipality.pk] = sorted(titles)
        return self._plan_titles[municipality.pk]


# --- a row's municipality and plan -------------------------------------------------------------


def resolve_municipality(p, row, table_row):
    """The row's local government from its code, its name and its 시·도, or ``None``.

    A code decides; a name or a 시·도 beside it must name the same local government.
    """
    code = p.cell(table_row, "municipality_code")
    name = p.cell(table_row, "municipality")
    sido = p.cell(table_row, "sido")
    resolver = p.refs.municipalities
    if code:
        key, resolution = "municipality_code", resolver.resolve(code)
    elif name:
        key, resolution = "municipality", resolver.resolve(name, sido=sido or "")
        if resolution.municipality is None and sido:
            alone = resolver.resolve(name)
            if alone.municipality or alone.candidates:
                key = "sido"  # the name alone is known: the 시·도 beside it is what is wrong
    elif sido:
        key, resolution = "sido", resolver.resolve(sido)
    else:
        key = next(
            (k for k in ("municipality", "municipality_code", "sido") if k in p.columns), None
        )
        p.error(row, key, _("자치단체가 비어 있습니다."))
        return None
    if resolution.municipality is None:
        p.error(row, key, resolution.error + _nearest_places(p, key, code, sido))
        return None
    municipality = resolution.municipality
    if resolution.warning:
        p.warn(row, key, resolution.warning)
    if code and (name or sido) and not _names_agree(resolver, municipality, name, sido):
        p.error(
            row,
            "municipality" if name else "sido",
            _(
                "자치단체코드(%(code)s)는 %(coded)s인데 %(column)s 칸에는 '%(value)s'라고 적혀 "
                "있습니다."
            )
            % {
                "code": code,
                "coded": municipality,
                "column": p.label("municipality" if name else "sido"),
                "value": " ".join(filter(None, [sido, name])),
            },
        )
        return None
    if p.allowed is not None and municipality.code not in p.allowed:
        p.error(
            row,
            key,
            _("권한이 없는 자치단체입니다: %(name)s(%(code)s).")
            % {"name": municipality, "code": municipality.code},
        )
        return None
    return municipality


def _nearest_places(p, key: str, code: str | None, sido: str | None) -> str:
    """For an unknown code, the nearest codes; for an unknown 시·도, the 시·도 there are. (An
    unknown name gets its close names from the resolver itself.)"""
    if key == "municipality_code" and code and code.isdigit():
        codes = p.refs.municipality_codes
        close = sorted(codes, key=lambda known: _code_distance(code, known))[:NEAREST_SHOWN]
        return " " + _("가까운 코드: %(codes)s.") % {
            "codes": ", ".join(codes[found] for found in close)
        }
    if key == "sido" and sido and p.refs.municipalities.resolve(sido).municipality is None:
        names = Municipality.objects.sidos().order_by("code").values_list("name", flat=True)
        return " " + _("시·도: %(names)s.") % {"names": ", ".join(names)}
    return ""


def _code_distance(written: str, known: str) -> tuple[int, int]:
    """Codes sharing more leading digits first (the same 시·도, the same city), then the
    numerically closest."""
    shared = next(
        (i for i, (a, b) in enumerate(zip(written, known, strict=False)) if a != b),
        min(len(written), len(known)),
    )
    return -shared, abs(int(written[:5].ljust(5, "0")) - int(known))


def _names_agree(resolver, municipality, name: str | None, sido: str | None) -> bool:
    """Whether a name (and 시·도) written beside a code can mean the code's local government."""
    if name:
        named = resolver.resolve(name, sido=sido or "")
        return named.municipality == municipality or municipality in named.candidates
    province = resolver.resolve(sido).municipality
    return province is not None and municipality.pk in (province.pk, municipality.parent_id)


def resolve_plan(p, row, table_row) -> Plan | None:
    """The plan the row belongs to: the one given to the import, an existing plan the row
    names, or a new plan the file describes (with ``create_plans``)."""
    if p.plan is not None:
        return _given_plan(p, row, table_row)
    municipality = resolve_municipality(p, row, table_row)
    title = p.cell(table_row, "plan_title")
    if not title:
        p.error(row, "plan_title", _("계획명이 비어 있습니다."))
        return None
    values = plan_values(p, row, table_row)
    if municipality is None:
        return None
    plan = p.refs.plan(municipality, title)
    if plan is not None:
        _note_plan_differences(p, row, plan, values)
        return plan
    return _new_plan(p, row, municipality, title, values)


def _given_plan(p, row, table_row) -> Plan:
    plan = p.plan
    code = p.cell(table_row, "municipality_code")
    name = p.cell(table_row, "municipality")
    raw = code or name
    if raw:
        key = "municipality_code" if code else "municipality"
        resolution = p.refs.municipalities.resolve(raw, sido=p.cell(table_row, "sido") or "")
        if resolution.municipality is None or resolution.municipality.pk != plan.municipality_id:
            p.error(
                row,
                key,
                _(
                    "이 파일은 '%(title)s'(%(code)s) 계획으로 가져오는데, 이 행의 자치단체는 "
                    "'%(value)s'입니다."
                )
                % {"title": plan.title, "code": plan.municipality.code, "value": raw},
            )
    title = p.cell(table_row, "plan_title")
    if title and title != plan.title:
        p.error(
            row,
            "plan_title",
            _("이 파일은 '%(title)s' 계획으로 가져오는데, 이 행의 계획명은 '%(value)s'입니다.")
            % {"title": plan.title, "value": title},
        )
    _note_plan_differences(p, row, plan, plan_values(p, row, table_row))
    return plan


def _note_plan_differences(p, row, plan: Plan, values: dict) -> None:
    """An existing plan is never changed by an import; say so once if the file differs."""
    if plan.pk in p.plans_noted:
        return
    differing = sorted(
        {
            p.label(PLAN_FIELD_KEYS[name])
            for name, value in values.items()
            if getattr(plan, name) != value
        }
    )
    if differing:
        p.plans_noted.add(plan.pk)
        p.warn(
            row,
            None,
            _(
                "기존 계획 '%(title)s'의 %(columns)s 값이 파일과 다릅니다. 가져오기는 계획을 "
                "바꾸지 않으니 관리 화면에서 고치세요."
            )
            % {"title": plan.title, "columns": ", ".join(differing)},
        )


def _new_plan(p, row, municipality, title: str, values: dict) -> Plan | None:
    key = (municipality.code, title)
    new = p.new_plans.get(key)
    if new is None:
        if not p.create_plans:
            p.error(
                row,
                "plan_title",
                _(
                    "%(municipality)s(%(code)s)에 계획명이 '%(title)s'인 계획이 없습니다. 새 "
                    "계획을 함께 만들려면 '새 계획 만들기'(명령: --create-plans)를 켜세요."
                )
                % {"municipality": municipality, "code": municipality.code, "title": title}
                + _existing_plans(p, municipality, title),
            )
            return None
        given = set(values)
        values.setdefault("kind", plan_kind_in(title) or PlanKind.OTHER)
        plan = Plan(municipality=municipality, title=title, **values)
        new = NewPlan(plan, row.number, [row.number], given=given)
        try:
            plan.clean_fields(exclude=["municipality"])
            plan.clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = p.label(PLAN_FIELD_KEYS.get(name, "plan_title"))
                new.errors += [Issue(row.number, column, message) for message in messages]
        p.new_plans[key] = new
        return plan
    new.rows.append(row.number)
    for name, value in values.items():
        key = PLAN_FIELD_KEYS[name]
        if key not in p.columns and name in ("start_year", "end_year"):
            key = "plan_year"  # both years came from one 계획연도 cell
        if name not in new.given:
            _add_to_new_plan(p, row, new, name, value, key)
        elif getattr(new.plan, name) != value:
            p.error(
                row,
                key,
                _(
                    "같은 계획('%(title)s')인데 %(first)d행에는 '%(before)s', 이 행에는 "
                    "'%(now)s'라고 적혀 있습니다."
                )
                % {
                    "title": title,
                    "first": new.first_row,
                    "before": plan_value_display(name, getattr(new.plan, name)),
                    "now": plan_value_display(name, value),
                },
            )
    return new.plan


def _existing_plans(p, municipality, title: str) -> str:
    """The plans the local government has, the closest to ``title`` first."""
    titles = p.refs.plan_titles(municipality)
    if not titles:
        return " " + _("이 자치단체에는 아직 계획이 없습니다.")
    close = difflib.get_close_matches(title, titles, len(titles), 0)
    return " " + _("이 자치단체의 계획: %(titles)s.") % {
        "titles": ", ".join(f"'{found}'" for found in close[:PLANS_LISTED])
    }


def _add_to_new_plan(p, row, new, name: str, value, key: str) -> None:
    """A value a later row gives for a new plan whose earlier rows left it out."""
    start = value if name == "start_year" else new.plan.start_year
    end = value if name == "end_year" else new.plan.end_year
    if start and end and start > end:
        p.error(
            row,
            key,
            _("새 계획('%(title)s')의 기간이 맞지 않습니다: 시작 %(start)d, 종료 %(end)d.")
            % {"title": new.plan.title, "start": start, "end": end},
        )
        return
    setattr(new.plan, name, value)
    new.given.add(name)


# --- the existing service a row is about --------------------------------------------------------


def match_service(p, row, table_row) -> None:
    """Find the existing service the row is about: by id when given, else by plan and name."""
    row.name = p.cell(table_row, "name") or ""
    raw_id = p.cell(table_row, "id")
    if raw_id:
        _match_by_id(p, row, raw_id, parse_id(raw_id))
    elif row.plan is not None and row.name:
        existing = p.services_of(row.plan)
        row.service = existing.get(row.name)
        if row.service is not None:
            row.matched_by = "name"
            return
        wanted = compact(row.name)
        for service in existing.values():
            if compact(service.name) == wanted:
                p.warn(
                    row,
                    "name",
                    _(
                        "이 계획에 이름이 거의 같은 서비스가 있습니다: '%(name)s'(번호 %(id)d). "
                        "같은 서비스라면 "
                        "이름을 똑같이 적거나 id를 적으세요."
                    )
                    % {"name": service.name, "id": service.pk},
                )


def _match_by_id(p, row, raw_id: str, pk: int | None) -> None:
    service = p.service_by_id.get(pk) if pk is not None else None
    if pk is None:
        p.error(row, "id", _("번호는 자연수여야 합니다('%(value)s').") % {"value": raw_id})
    elif service is None:
        p.error(row, "id", _("번호 %(id)d인 서비스가 없습니다.") % {"id": pk})
    elif p.allowed is not None and service.plan.municipality.code not in p.allowed:
        p.error(row, "id", _("권한이 없는 자치단체의 서비스입니다(번호 %(id)d).") % {"id": pk})
    elif row.plan is not None and service.plan_id != row.plan.pk:
        p.error(
            row,
            "id",
            _("번호 %(id)d인 서비스는 다른 계획('%(title)s', %(code)s)의 서비스입니다.")
            % {"id": pk, "title": service.plan.title, "code": service.plan.municipality.code},
        )
    elif row.plan is not None:
        row.service, row.matched_by = service, "id"
        other = p.services_of(row.plan).get(row.name)
        if row.name and other is not None and other.pk != service.pk:
            p.error(
                row,
                "name",
                _("이 계획에 서비스명이 '%(name)s'인 다른 서비스(번호 %(id)d)가 이미 있습니다.")
                % {"name": row.name, "id": other.pk},
            )
