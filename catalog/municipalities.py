"""One way to find a local government from what people write: a code or a name.

``MunicipalityResolver.load()`` reads every municipality with its 시·도 in one query and builds
in-memory indexes; ``resolve()`` then answers without the database, so an import can call it
once per row. It accepts:

* a 5-digit statutory code, current or former (``former_code``: 42xxx → 51xxx 강원,
  45xxx → 52xxx 전북, 47720 → 27720 군위군), or a 10-digit 법정동코드 ending in ``00000``;
* a name with or without its 시·도, as people write them (고양, 고양시, 경기 고양시,
  경기도 고양시, 강원도 속초시, 서울시 종로구, 세종시 …), spacing and case ignored
  (``catalog.text.compact``); the 시·도 may also come separately (a 시·도 column);
* 제주시 and 서귀포시 (행정시) and a city's 일반구 (수원시 팔달구), which are not local
  governments: they resolve to the 시·도 or the city, with a warning.

A name that several municipalities share (중구, 고성군, 광주) without a 시·도 that settles it is
an error listing every candidate; an unknown name is an error with close names as a hint.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from catalog.models import Municipality
from catalog.text import compact, fold

# Short and former names of each 시·도, by its code, besides its official name.
SIDO_ALIASES: dict[str, tuple[str, ...]] = {
    "11000": ("서울", "서울시"),
    "26000": ("부산", "부산시"),
    "27000": ("대구", "대구시"),
    "28000": ("인천", "인천시"),
    "29000": ("광주", "광주시"),
    "30000": ("대전", "대전시"),
    "31000": ("울산", "울산시"),
    "36000": ("세종", "세종시"),
    "41000": ("경기",),
    "43000": ("충북",),
    "44000": ("충남",),
    "46000": ("전남",),
    "47000": ("경북",),
    "48000": ("경남",),
    "50000": ("제주", "제주도"),
    "51000": ("강원", "강원도"),
    "52000": ("전북", "전라북도"),
}

# 행정시 of a 특별자치도: cities by name, not local governments (the 도 is).
ADMINISTRATIVE_CITIES: dict[str, tuple[str, ...]] = {
    "50000": ("제주시", "서귀포시"),
}

# 일반구 (non-autonomous districts) of the cities that have them, by the city's code.
GENERAL_DISTRICTS: dict[str, tuple[str, ...]] = {
    "41110": ("장안구", "권선구", "팔달구", "영통구"),  # 수원시
    "41130": ("수정구", "중원구", "분당구"),  # 성남시
    "41170": ("만안구", "동안구"),  # 안양시
    "41190": ("원미구", "소사구", "오정구"),  # 부천시, restored 2024-01-01
    "41270": ("상록구", "단원구"),  # 안산시
    "41280": ("덕양구", "일산동구", "일산서구"),  # 고양시
    "41460": ("처인구", "기흥구", "수지구"),  # 용인시
    "41590": ("만세구", "효행구", "병점구", "동탄구"),  # 화성시, from 2026-02-01
    "43110": ("상당구", "서원구", "흥덕구", "청원구"),  # 청주시
    "44130": ("동남구", "서북구"),  # 천안시
    "47110": ("남구", "북구"),  # 포항시
    "48120": ("의창구", "성산구", "마산합포구", "마산회원구", "진해구"),  # 창원시
    "52110": ("완산구", "덕진구"),  # 전주시
}

# 특례시: large cities that also write themselves so (고양특례시).
SPECIAL_CITIES = frozenset({"41110", "41280", "41460", "41590", "48120"})

# Municipalities that moved to another 시·도, by their current code: the year of the move.
TRANSFER_YEARS: dict[str, int] = {"27720": 2023}

NAME_SUFFIXES = ("시", "군", "구")
MAX_HINTS = 5
_FLOAT_CODE = re.compile(r"(\d+)\.0+")


@dataclass(frozen=True)
class Resolution:
    """What a value resolved to.

    ``municipality`` is ``None`` exactly when ``error`` is set; ``warning`` may accompany a
    resolved municipality (행정시, 일반구, former code, moved or inactive municipality);
    ``candidates`` lists every match when a name is ambiguous.
    """

    municipality: Municipality | None
    warning: str = ""
    error: str = ""
    candidates: tuple[Municipality, ...] = ()


@dataclass(frozen=True)
class _Match:
    municipality: Municipality
    warning: str = ""


class MunicipalityResolver:
    """In-memory indexes over every municipality; build one with ``load()``."""

    def __init__(self, municipalities) -> None:
        self._all = sorted(municipalities, key=lambda m: m.code)
        self._by_code: dict[str, Municipality] = {m.code: m for m in self._all}
        self._by_former_code: dict[str, Municipality] = {
            m.former_code: m
            for m in self._all
            if m.former_code and m.former_code not in self._by_code
        }
        # compact form → 시·도 (official name, short and former names)
        self._sidos: dict[str, Municipality] = {}
        # compact form → 시·군·구 (official name, name without 시/군/구, 특례시)
        self._locals: dict[str, list[Municipality]] = defaultdict(list)
        # compact form → (시·도, official 행정시 name)
        self._administrative: dict[str, tuple[Municipality, str]] = {}
        # compact "city + 일반구" → (city, 일반구); compact 일반구 → [(city, 일반구)]
        self._city_districts: dict[str, tuple[Municipality, str]] = {}
        self._districts: dict[str, list[tuple[Municipality, str]]] = defaultdict(list)
        # 시·도 a municipality belonged to before it moved (군위군: 경상북도)
        self._former_parent: dict[str, Municipality] = {}

        for m in self._all:
            if m.level == Municipality.Level.SIDO:
                for alias in (m.name, *SIDO_ALIASES.get(m.code, ())):
                    self._sidos.setdefault(compact(alias), m)
                continue
            for form in _local_forms(m):
                if m not in self._locals[form]:
                    self._locals[form].append(m)
            if m.former_code:
                before = self.by_code(m.former_code[:2] + "000")
                if before is not None and before.pk != m.parent_id:
                    self._former_parent[m.code] = before
        for sido_code, names in ADMINISTRATIVE_CITIES.items():
            sido = self._by_code.get(sido_code)
            for name in names if sido else ():
                for form in (name, _stem(name)):
                    self._administrative.setdefault(compact(form), (sido, name))
        for city_code, districts in GENERAL_DISTRICTS.items():
            city = self._by_code.get(city_code)
            for district in districts if city else ():
                self._districts[compact(district)].append((city, district))
                for form in _local_forms(city):
                    self._city_districts[form + compact(district)] = (city, district)
        self._sido_lengths = sorted({len(key) for key in self._sidos}, reverse=True)
        # Every form with one letter removed, by the removed letter's position: finds the
        # names one letter away from an unknown value without comparing it to each name.
        self._forms = set(self._locals) | set(self._sidos)
        self._longest_form = max(map(len, self._forms), default=0)
        self._deletions: dict[tuple[str, int], set[str]] = defaultdict(set)
        for form in self._forms:
            for i in range(len(form)):
                self._deletions[(form[:i] + form[i + 1 :], i)].add(form)

    @classmethod
    def load(cls) -> MunicipalityResolver:
        """Every municipality with its 시·도, in one query."""
        return cls(Municipality.objects.select_related("parent").order_by("code"))

    # --- codes -----------------------------------------------------------------------------

    def by_code(self, code: str) -> Municipality | None:
        """The municipality with this current or former 5-digit code."""
        code = (code or "").strip()
        return self._by_code.get(code) or self._by_former_code.get(code)

    def _match_code(self, digits: str) -> _Match | Resolution:
        """The municipality a run of digits names, or an error ``Resolution``."""
        written = digits
        if len(digits) == 10:
            if not digits.endswith("00000"):
                return Resolution(
                    None,
                    error=_(
                        "%(code)s: 읍·면·동의 법정동코드입니다. 자치단체 코드는 숫자 5자리"
                        "(시·군·구의 법정동코드는 앞 5자리, 예: 41280 고양시)입니다."
                    )
                    % {"code": digits},
                )
            digits = digits[:5]
        elif len(digits) != 5:
            return Resolution(
                None,
                error=_(
                    "알 수 없는 자치단체 코드 '%(code)s'입니다. 자치단체 코드는 숫자 "
                    "5자리입니다(예: 41280 고양시)."
                )
                % {"code": written},
            )
        municipality = self._by_code.get(digits)
        if municipality is not None:
            return _Match(municipality)
        municipality = self._by_former_code.get(digits)
        if municipality is not None:
            warning = _(
                "%(former)s: 바뀌기 전 행정구역코드입니다. 지금 코드는 %(code)s(%(name)s)입니다."
            ) % {"former": digits, "code": municipality.code, "name": municipality}
            return _Match(municipality, warning)
        error = _("알 수 없는 자치단체 코드 '%(code)s'입니다.") % {"code": written}
        city = self._by_code.get(digits[:4] + "0")
        if city is not None and city.code in GENERAL_DISTRICTS:
            error += " " + _("혹시 %(city)s(%(code)s)의 일반구 코드인가요?") % {
                "city": city,
                "code": city.code,
            }
        return Resolution(None, error=error)

    # --- names -----------------------------------------------------------------------------

    def resolve(self, value: str, sido: str = "") -> Resolution:
        """The municipality ``value`` names; ``sido`` is a separate 시·도 (name or code)."""
        value = (value or "").strip()
        sido = (sido or "").strip()
        if not value:
            return Resolution(None, error=_("자치단체가 비어 있습니다."))
        given_sido = None
        if sido:
            given_sido = self._sido(sido)
            if given_sido is None:
                return Resolution(
                    None, error=_("알 수 없는 시·도입니다: '%(sido)s'.") % {"sido": sido}
                )

        folded = fold(value).strip()
        float_code = _FLOAT_CODE.fullmatch(folded)
        key = float_code.group(1) if float_code else compact(value)
        if key.isascii() and key.isdigit():
            match = self._match_code(key)
            if isinstance(match, Resolution):
                return match
            if given_sido is not None:
                return self._within_sido(value, given_sido, [match])
            return self._found(match)

        matches, elsewhere = self._match_name(key)
        if matches:
            if given_sido is not None:
                return self._within_sido(value, given_sido, matches)
            return self._pick(value, matches)
        if elsewhere:
            return self._mismatch(*elsewhere)
        return self._unknown(value, key, given_sido)

    def _sido(self, value: str) -> Municipality | None:
        key = compact(value)
        if key.isascii() and key.isdigit():
            found = self.by_code(key)
            return found if found is not None and found.is_sido else None
        return self._sidos.get(key)

    def _match_name(self, key: str) -> tuple[list[_Match], tuple | None]:
        """Every reading of ``key``: as a whole, and as a 시·도 followed by a name in it.

        Also returns, when no reading fits, a 시·도 written in the value with what the rest
        names in other 시·도 (서울 고양시), for a message that names both.
        """
        matches = self._match_whole(key)
        elsewhere = None
        for length in self._sido_lengths:
            if length >= len(key):
                continue
            sido = self._sidos.get(key[:length])
            if sido is None:
                continue
            rest = key[length:]
            found = self._match_whole(rest)
            inside = [match for match in found if self._belongs(match.municipality, sido)]
            matches.extend(self._moved(match, sido) for match in inside)
            if found and not inside and elsewhere is None:
                elsewhere = (sido, rest, [match.municipality for match in found])
        return matches, (None if matches else elsewhere)

    def _match_whole(self, key: str) -> list[_Match]:
        matches = []
        if key in self._sidos:
            matches.append(_Match(self._sidos[key]))
        matches.extend(_Match(m) for m in self._locals.get(key, ()))
        if key in self._administrative:
            sido, name = self._administrative[key]
            warning = _(
                "%(name)s는 행정시라 지방자치단체가 아닙니다. %(sido)s(%(code)s)로 넣습니다."
            ) % {"name": name, "sido": sido.name, "code": sido.code}
            matches.append(_Match(sido, warning))
        if key in self._city_districts:
            city, district = self._city_districts[key]
            warning = _(
                "%(district)s는 %(city)s의 일반구라 지방자치단체가 아닙니다. "
                "%(city)s(%(code)s)로 넣습니다."
            ) % {"district": district, "city": city.name, "code": city.code}
            matches.append(_Match(city, warning))
        return matches

    def _belongs(self, municipality: Municipality, sido: Municipality) -> bool:
        return sido.pk in (municipality.pk, municipality.parent_id) or (
            self._former_parent.get(municipality.code) == sido
        )

    def _moved(self, match: _Match, sido: Municipality) -> _Match:
        """A match reached through the 시·도 it belonged to before it moved, with a warning."""
        municipality = match.municipality
        if self._former_parent.get(municipality.code) != sido or match.warning:
            return match
        values = {
            "old": sido.name,
            "name": municipality.name,
            "new": municipality.parent.name,
            "code": municipality.code,
        }
        if municipality.code in TRANSFER_YEARS:
            values["year"] = TRANSFER_YEARS[municipality.code]
            warning = _(
                "%(old)s %(name)s: %(year)d년에 %(new)s로 편입되어 지금은 %(new)s %(name)s"
                "(%(code)s)입니다."
            )
        else:
            warning = _(
                "%(old)s %(name)s: %(new)s로 편입되어 지금은 %(new)s %(name)s(%(code)s)입니다."
            )
        return _Match(municipality, warning % values)

    def _within_sido(self, value: str, sido: Municipality, matches: list[_Match]) -> Resolution:
        inside = [self._moved(m, sido) for m in matches if self._belongs(m.municipality, sido)]
        if inside:
            return self._pick(value, inside)
        return self._mismatch(sido, value, [match.municipality for match in matches])

    def _pick(self, value: str, matches: list[_Match]) -> Resolution:
        unique: dict[int, _Match] = {}
        for match in matches:
            kept = unique.get(match.municipality.pk)
            if kept is None or (match.warning and not kept.warning):
                unique[match.municipality.pk] = match
        found = list(unique.values())
        if len(found) > 1 and any(match.municipality.is_active for match in found):
            found = [match for match in found if match.municipality.is_active]
        if len(found) == 1:
            return self._found(found[0])
        candidates = tuple(sorted((match.municipality for match in found), key=lambda m: m.code))
        return Resolution(
            None,
            error=_(
                "'%(value)s'에 해당하는 자치단체가 여럿입니다: %(candidates)s. 시·도를 함께 "
                "쓰거나(예: %(example)s) 행정구역코드를 쓰세요."
            )
            % {
                "value": value,
                "candidates": _list(candidates),
                "example": _example(candidates),
            },
            candidates=candidates,
        )

    def _found(self, match: _Match) -> Resolution:
        municipality, warnings = match.municipality, [match.warning] if match.warning else []
        if not municipality.is_active:
            warnings.append(
                _("%(name)s(%(code)s): 폐지·통합되어 지금은 없는 자치단체입니다.")
                % {"name": municipality, "code": municipality.code}
            )
        return Resolution(municipality, warning=" ".join(warnings))

    def _mismatch(self, sido: Municipality, value: str, found: list[Municipality]) -> Resolution:
        return Resolution(
            None,
            error=_("시·도(%(sido)s)와 자치단체(%(value)s)가 맞지 않습니다. %(value)s: %(found)s.")
            % {"sido": sido.name, "value": value, "found": _list(found)},
        )

    def _unknown(self, value: str, key: str, sido: Municipality | None) -> Resolution:
        rest, within = key, sido
        for length in self._sido_lengths:
            if length < len(key) and key[:length] in self._sidos:
                rest, within = key[length:], within or self._sidos[key[:length]]
                break
        districts = self._districts.get(rest)
        if districts:
            city, district = districts[0]
            return Resolution(
                None,
                error=_(
                    "%(district)s는 %(city)s의 일반구라 지방자치단체가 아닙니다. "
                    "'%(city)s %(district)s'나 '%(city)s'로 쓰세요."
                )
                % {"district": district, "city": city.name},
            )
        error = _("'%(value)s'에 해당하는 자치단체가 없습니다.") % {"value": value}
        hints = self._hints(rest, within) if rest != key else []
        hints += [m for m in self._hints(key, sido) if m not in hints]
        hints = hints[:MAX_HINTS]
        if hints:
            error += " " + _("혹시 다음 자치단체인가요? %(candidates)s") % {
                "candidates": _list(hints)
            }
        return Resolution(None, error=error)

    def _hints(self, key: str, sido: Municipality | None) -> list[Municipality]:
        """Municipalities whose name is ``key`` with another 시/군/구 ending (고양군 → 고양시)
        or, failing that, one letter away from it (고앙시 → 고양시)."""
        stems = [key[:-1]] if len(key) >= 2 and key.endswith(NAME_SUFFIXES) else []
        same_stem = [
            match.municipality
            for stem in stems
            for form in (stem, *(stem + suffix for suffix in NAME_SUFFIXES))
            for match in self._match_whole(form)
        ]
        for found in (same_stem, self._one_letter_away(key)):
            hints = sorted({m.pk: m for m in found}.values(), key=lambda m: m.code)
            if sido is not None:
                hints = [m for m in hints if self._belongs(m, sido)]
            if hints:
                return hints[:MAX_HINTS]
        return []

    def _one_letter_away(self, key: str) -> list[Municipality]:
        if not 2 <= len(key) <= self._longest_form + 1:
            return []  # no known name is one letter away from a much longer text
        forms = set()
        for i in range(len(key) + 1):
            forms |= self._deletions.get((key, i), set())  # key lacks a letter
        for i in range(len(key)):
            shorter = key[:i] + key[i + 1 :]
            if shorter in self._forms:  # key has a letter too many
                forms.add(shorter)
            forms |= self._deletions.get((shorter, i), set())  # one letter differs
        forms.discard(key)
        found = []
        for form in forms:
            found.extend(self._locals.get(form, ()))
            if form in self._sidos:
                found.append(self._sidos[form])
        return found


def _stem(name: str) -> str:
    return name[:-1] if name.endswith(NAME_SUFFIXES) else name


def _local_forms(m: Municipality) -> set[str]:
    """Compact forms a 시·군·구 is written in: 고양시, 고양 (stems of one letter, like 중, are
    too short to mean anything), 고양특례시."""
    forms = {compact(m.name)}
    stem = compact(_stem(m.name))
    if len(stem) >= 2:
        forms.add(stem)
    if m.code in SPECIAL_CITIES:
        forms.add(stem + "특례시")
    return forms


def _label(m: Municipality) -> str:
    """중구(11140, 서울특별시); a 시·도 as 광주광역시(29000)."""
    if m.parent_id is None:
        return f"{m.name}({m.code})"
    return f"{m.name}({m.code}, {m.parent.name})"


def _list(municipalities) -> str:
    return ", ".join(_label(m) for m in municipalities)


def _example(candidates) -> str:
    """A candidate written with its 시·도: '서울특별시 중구'."""
    local = next((m for m in candidates if m.parent_id is not None), candidates[0])
    return f"'{local}'"
