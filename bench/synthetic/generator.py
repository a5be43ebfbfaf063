"""Realistic synthetic smart-city services, for benchmarks only (never mixed with real data).

Names combine real service ideas seen in Korean smart-city plans (the list below, grouped by
the 12 statutory fields, and the names of ``tests/analysis/labelled_services.csv``) with the
wording and spacing variants that plans use: generic prefixes and suffixes (스마트, 지능형,
IoT, … 서비스, 구축, 설치, …), the city's own name, years, places and targets (전통시장,
어린이보호구역, ○○동 …), spaces dropped or added, plus a long tail of one-off local services.

Two users:

* ``synthesise_names`` — ``(municipality code, name, description)`` triples for the
  duplication scale benchmark (``bench/dedup_scale.py``), which never touches the database;
* ``generate_catalog`` — plans and services with fields, sub-groups, tags, statuses and
  descriptions, the field mix following the issue paper's shares, for
  ``manage.py generate_synthetic``.

Everything is deterministic for a given seed.
"""

from __future__ import annotations

import csv
import functools
import random
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABELLED_SERVICES = ROOT / "tests" / "analysis" / "labelled_services.csv"

# The issue paper's 295 services by field (방범·방재 20.0 %, 교통 16.9 %, … 물류 0.7 %).
PAPER_COUNTS = {
    "safety-disaster": 59,
    "transport": 50,
    "environment-energy-water": 35,
    "administration": 32,
    "health-welfare": 30,
    "culture-tourism-sports": 28,
    "facility-management": 24,
    "education": 12,
    "housing": 9,
    "labour-employment": 8,
    "other": 6,
    "logistics": 2,
}
# The paper's four 교통 groups hold 40 % of its 교통 services; the rest have no sub-group.
TRANSPORT_SUBGROUP_SHARE = 0.4

# Service ideas seen in Korean smart-city plans, by field ("transport/<sub-group>" for the
# four 교통 groups). "a | b | c" blocks.
PATTERNS_BY_CATEGORY = {
    "safety-disaster": """
        스마트 방범 | 지능형 CCTV | 방범 CCTV | CCTV 통합관제센터 | 비상벨 연계 CCTV | 안심귀가
        여성 안심택배함 | 치매노인 배회감지 | 드론 순찰 | 드론 산불감시 | 산불 감시 카메라
        산사태 감지 | 급경사지 계측 | 하천 수위 감시 | 침수 예경보 | 지하차도 침수 차단
        재난 예경보 방송 | 지진 감지 | 전통시장 화재감지 | 스마트 스쿨존 | 어린이보호구역 과속 경고
        어린이 위치 확인 | 공중화장실 비상벨 | 등산로 비상벨 | 해수욕장 이안류 감지
        해양 안전 드론 | 도시가스 누출 감지 | 불법투기 감시 | 스마트 보안등 | 보안등 원격제어
        LED 보안등 교체 | 스마트 횡단보도 | 어선 위치 관제
    """,
    "transport": """
        스마트 횡단보도 | 회전교차로 안전 | 보행자 우선 신호 | 교통약자 보행신호 연장
        불법주정차 단속 | 스마트 버스정류장 | 저상버스 예약 | 통학버스 위치 알림
    """,
    "transport/transport-new-infrastructure": """
        수요응답형 버스 | 자율주행 셔틀 | 전기버스 도입 | 전기차 충전소 | 수소충전소
    """,
    "transport/transport-parking": """
        스마트 주차장 | 공영주차장 주차정보 | 주차면 센서 | 공유 주차장 | 스마트 파킹
    """,
    "transport/transport-personal-mobility": """
        공공자전거 | 공유 킥보드 | 공유 전동킥보드 주차구역 | 퍼스널 모빌리티 충전소
    """,
    "transport/transport-traffic-information": """
        BIS 버스정보 안내 | 버스도착정보 안내 | 스마트 교차로 | 실시간 교통정보 제공
        교통량 수집 센서
    """,
    "environment-energy-water": """
        스마트 쉼터 | 스마트 그늘막 | 쿨링포그 | 미세먼지 신호등 | 미세먼지 알리미
        미세먼지 측정망 | 대기오염 측정소 | 스마트 쓰레기통 | 음식물쓰레기 RFID 종량기
        재활용품 회수 로봇 | 투명페트병 회수기 | 스마트 원격검침 | 상수도 누수 감지
        스마트 물관리 | 하수도 악취 감시 | 건물 에너지 관리 | 태양광 발전 | 에너지 자립마을
        스마트 그리드 | 산단 환경 감시 | 태양광 벤치
    """,
    "administration": """
        디지털 트윈 | 도시데이터 허브 | 빅데이터 분석 플랫폼 | 공공데이터 개방 | AI 민원 챗봇
        무인민원발급기 | 모바일 전자시민증 | 지역화폐 플랫폼 | 스마트 시티앱 | 시민 참여 리빙랩
        공공 와이파이 | 무료 와이파이 | 스마트 마을방송
    """,
    "health-welfare": """
        독거노인 응급안전 | AI 스피커 돌봄 | 스마트 경로당 | 원격 건강관리 | 모바일 헬스케어
        비대면 진료 지원 | 스마트 보건소 | 스마트 벤치
    """,
    "culture-tourism-sports": """
        AR 관광 안내 | VR 체험관 | 관광 안내 키오스크 | 스마트 관광 앱 | 미디어 파사드 | 미디어월
        디지털 사이니지 | 스마트 놀이터 | 스마트 공원 | 공원 이용객 계수 | 스마트 도서관
        무인 도서 대출
    """,
    "facility-management": """
        스마트 가로등 | 맨홀 감시 | 교량 안전 모니터링 | 터널 화재 감시 | 노후 건축물 안전 감시
        스마트 화장실 | 산업단지 통합관제 | 스마트 항만
    """,
    "education": """
        스마트 스쿨 | 디지털 교실 | 코딩 교육 플랫폼 | 스마트 도서관 | 메이커 스페이스
        온라인 평생학습
    """,
    "housing": """
        빈집 정보 관리 | 스마트 도시재생 | 스마트홈 | 공동주택 에너지 관리 | 스마트 경비실
    """,
    "labour-employment": """
        스마트 공장 지원 | 상가 공실 정보 | 기업 자원 공유 | 일자리 매칭 플랫폼 | 청년 창업 지원
    """,
    "other": """
        스마트팜 | 스마트 축사 | 스마트 양식장 | 농산물 직거래 플랫폼 | 스마트 APC | 스마트 전통시장
    """,
    "logistics": """
        드론 배송 | 안심 무인택배 | 스마트 무인택배함 | 공동 물류센터 | 로봇 배송
    """,
}

# Wording that plans add around an idea ("-" = nothing added; repeated to weight it).
PREFIXES = """
- | - | - | 스마트 | 스마트_ | 지능형 | IoT | IoT 기반 | AI 기반 | ICT | 첨단 | 미래형 | 차세대
"""
SUFFIXES = """
- | - | - | 서비스 | _서비스 | 시스템 | _시스템 | 구축 | 설치 | 사업 | 플랫폼 | 도입 | 운영 | 조성
시범사업 | 고도화 | 확대 | 구축사업
"""
QUALIFIERS = """
전통시장 | 관광지 | 어린이보호구역 | 산업단지 | 구도심 | 농촌 | 해수욕장 | 공원 | 역세권
대학가 | 주거지역 | 원도심 | 신도시 | 하천변 | 버스터미널 | 노인복지관 | 초등학교 | 주민센터
읍면 | 섬 지역 | 시내버스 | 공공청사 | 고령자 | 장애인 | 어린이 | 여성 | 1인가구 | 관광객
청년 | 소상공인
"""
DESCRIPTIONS = """
실시간 정보 제공 | IoT 센서로 상태 감지 | CCTV 연계 관제 | 주민 안전 강화 | 모바일 앱 연동
빅데이터 분석으로 운영 최적화 | 에너지 절감 | 민원 감소 | 원격 제어 및 고장 알림
위험 상황 시 경고 방송 | 관광객 편의 제공 | 교통약자 이동 지원 | 주민 참여형 리빙랩
시범 설치 후 확대
"""
# A long tail of local, one-off services: <place> <local asset> <what is done with it>.
SYLLABLES = "가나다라마바사아자차카타파하강남동서북신구월산천호성평화명진송덕양"
TAIL_WORDS = """
축제 | 박물관 | 둘레길 | 특산물 | 캠핑장 | 온천 | 항구 | 저수지 | 문화재 | 한옥마을 | 먹거리
시장 | 해변 | 섬 | 계곡 | 수목원 | 스포츠 | 레저 | 전시 | 공연 | 도예 | 인삼 | 한우 | 녹차
갯벌 | 철새 | 동굴 | 케이블카 | 야시장 | 벽화마을 | 청년몰 | 창업 | 일자리 | 귀농 | 교육 | 돌봄
"""
TAIL_ACTIONS = """
체험 | 안내 | 예약 | 홍보 | 관리 | 정보 | 통합 관리 | 이력 추적 | 방문객 분석 | 온라인 판매
가상 투어 | 디지털 아카이브 | 모니터링
"""

# Tags suggested by words of a name or description (tag slug: words).
TAG_WORDS = {
    "iot": ("iot", "센서", "원격"),
    "cctv": ("cctv", "관제"),
    "드론": ("드론",),
    "ai": ("ai", "지능형", "챗봇", "로봇"),
    "빅데이터": ("빅데이터", "데이터"),
    "ar": ("ar ",),
    "vr": ("vr",),
    "디지털트윈": ("디지털 트윈", "디지털트윈"),
    "자율주행": ("자율주행",),
    "모바일앱": ("앱", "모바일"),
    "센서": ("감지", "측정", "계측", "센서"),
    "플랫폼": ("플랫폼",),
    "led": ("led", "가로등", "보안등"),
    "공공와이파이": ("와이파이",),
    "어린이": ("어린이", "스쿨존", "통학", "놀이터", "초등학교"),
    "고령자": ("노인", "고령자", "경로당"),
    "치매노인": ("치매",),
    "장애인": ("장애인", "교통약자"),
    "여성": ("여성", "안심귀가"),
    "관광객": ("관광",),
    "보행자": ("보행", "횡단보도"),
    "운전자": ("주차", "교차로", "교통정보"),
    "대중교통이용자": ("버스", "정류장"),
    "농업인": ("농", "축사", "양식장"),
    "기업": ("기업", "산업단지", "공장", "산단"),
    "청년": ("청년",),
}
STATUS_WEIGHTS = {"planned": 55, "built": 20, "operating": 20, "suspended": 5}
# Plans: (kind, title pattern, shortest and longest period in years, weight of its services)
PLAN_KINDS = (
    ("development", "{city} 스마트시티 조성사업", 2, 4, 1.0),
    ("challenge", "{city} 스마트챌린지", 1, 2, 0.4),
    ("solution", "{city} 스마트시티 솔루션 확산사업", 1, 1, 0.3),
    ("other", "{city} 스마트 마을 시범사업", 1, 3, 0.3),
)


def split_list(text: str) -> list[str]:
    """Items of a "a | b | c" block; "-" is the empty string."""
    items = [item.strip() for line in text.strip().splitlines() for item in line.split("|")]
    return ["" if item == "-" else item for item in items if item]


@dataclass(frozen=True)
class Vocabulary:
    prefixes: list[str]
    suffixes: list[str]
    qualifiers: list[str]
    descriptions: list[str]
    tail_words: list[str]
    actions: list[str]
    dongs: list[str]


@functools.cache
def vocabulary() -> Vocabulary:
    # "스마트_" is glued to what follows, "_서비스" to what precedes
    prefixes = [p.replace("_", "") if p.endswith("_") else p + " " * bool(p) for p in
                split_list(PREFIXES)]  # fmt: skip
    suffixes = [s.replace("_", "") if s.startswith("_") else " " * bool(s) + s for s in
                split_list(SUFFIXES)]  # fmt: skip
    dongs = [a + b + "동" for a in SYLLABLES for b in SYLLABLES if a != b][:400]
    return Vocabulary(
        prefixes,
        suffixes,
        split_list(QUALIFIERS),
        split_list(DESCRIPTIONS),
        split_list(TAIL_WORDS),
        split_list(TAIL_ACTIONS),
        dongs,
    )


def load_patterns() -> list[str]:
    """Every known service idea: the labelled set's names and the lists above."""
    names = []
    if LABELLED_SERVICES.exists():
        with open(LABELLED_SERVICES, encoding="utf-8", newline="") as fh:
            # the tuning part only: the held-out names stay out of every synthetic catalog
            names = [row["name"] for row in csv.DictReader(fh) if row.get("split") == "tune"]
    listed = {name for block in PATTERNS_BY_CATEGORY.values() for name in split_list(block)}
    return sorted(set(names) | listed)


def _popularity(count: int) -> list[float]:
    """Zipf-like weights: some ideas are planned everywhere, most by a few."""
    return [1.0 / (rank + 1) ** 0.8 for rank in range(count)]


def tail_name(rng: random.Random, v: Vocabulary) -> str:
    """A local one-off service: <dong> <asset> <action>."""
    asset = rng.choice(v.tail_words) + rng.choice(v.tail_words)
    return f"{rng.choice(v.dongs)} {asset} {rng.choice(v.actions)}"


def qualify(rng: random.Random, name: str, v: Vocabulary) -> str:
    """Sometimes a place or a target group before the idea, sometimes a 동."""
    if rng.random() < 0.35:
        name = f"{rng.choice(v.qualifiers)} {name}"
    if rng.random() < 0.1:
        name = f"{rng.choice(v.dongs)} {name}"
    return name


def decorate(rng: random.Random, name: str, city: str, v: Vocabulary) -> str:
    """The wording and spacing variants plans put around a name."""
    name = rng.choice(v.prefixes) + name + rng.choice(v.suffixes)
    if rng.random() < 0.1:
        name = f"{city} {name}"
    if rng.random() < 0.08:
        name = f"{rng.randint(2018, 2026)}년 {name}"
    roll = rng.random()
    if roll < 0.25:  # spacing dropped …
        name = name.replace(" ", "")
    elif roll < 0.35:  # … or added
        name = " ".join(name.replace("스마트", "스마트 ").split())
    return name


def synthesise_names(
    n: int, municipality_names: dict[str, str], seed: int = 7, tail: float = 0.3
) -> list[tuple[str, str, str]]:
    """N ``(municipality code, name, description)``, a share ``tail`` of them local one-offs.

    ``municipality_names`` maps code to a display name whose last word is the city's own
    name (``경기도 고양시``).
    """
    rng = random.Random(seed)
    v = vocabulary()
    codes = sorted(municipality_names)
    patterns = load_patterns()
    weights = _popularity(len(patterns))
    rng.shuffle(patterns)
    rows = []
    for _ in range(n):
        code = rng.choice(codes)
        city = municipality_names[code].split()[-1]
        if rng.random() < tail:
            name = tail_name(rng, v)
        else:
            name = qualify(rng, rng.choices(patterns, weights)[0], v)
        name = decorate(rng, name, city, v)
        description = ""
        if rng.random() < 0.4:
            description = f"{rng.choice(v.qualifiers)} {rng.choice(v.descriptions)}"
        rows.append((code, name, description))
    return rows


# -- a whole catalog ---------------------------------------------------------------------


@dataclass
class SyntheticPlan:
    municipality_code: str
    title: str
    kind: str
    start_year: int
    end_year: int
    weight: float


@dataclass
class SyntheticService:
    plan_index: int  # into SyntheticCatalog.plans
    name: str
    description: str
    category_code: str
    subcategory_code: str  # "" for none
    status: str
    source_page: str
    tag_slugs: list[str] = field(default_factory=list)


@dataclass
class SyntheticCatalog:
    plans: list[SyntheticPlan]
    services: list[SyntheticService]


def _plans_for(rng: random.Random, code: str, city: str) -> list[SyntheticPlan]:
    """One to three master plans (successive periods) and a few funded projects."""
    plans = []
    start = rng.randint(2014, 2021)
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        end = start + rng.choice((4, 5))
        title = f"{city} 스마트도시계획 ({start}–{end})"
        plans.append(SyntheticPlan(code, title, "master_plan", start, end, 2.0))
        start = end + 1
        if start > 2030:
            break
    for _ in range(rng.choice((0, 1, 2, 3, 4))):
        kind, pattern, shortest, longest, weight = rng.choice(PLAN_KINDS)
        start = rng.randint(2017, 2026)
        end = start + rng.randint(shortest, longest) - 1
        title = f"{pattern.format(city=city)} ({start}–{end})"
        if all(plan.title != title for plan in plans):
            plans.append(SyntheticPlan(code, title, kind, start, end, weight))
    return plans


def _tags_for(rng: random.Random, text: str, all_slugs: list[str]) -> list[str]:
    lowered = f"{text.lower()} "
    slugs = [slug for slug, words in TAG_WORDS.items() if any(w in lowered for w in words)]
    if rng.random() < 0.3 and all_slugs:
        slugs.append(rng.choice(all_slugs))
    known = set(all_slugs)
    return sorted({slug for slug in slugs if slug in known})


def generate_catalog(
    n: int,
    municipalities: dict[str, str],
    *,
    seed: int = 7,
    tail: float = 0.2,
    tag_slugs: list[str] | None = None,
) -> SyntheticCatalog:
    """Plans for every municipality and N services spread over them.

    ``municipalities`` maps code to display name (``경기도 고양시``). Fields follow the
    paper's shares; within a field, ideas are Zipf-popular and dressed in the same variants
    as ``synthesise_names``; a share ``tail`` are local one-offs. Names are unique per plan.
    """
    rng = random.Random(seed)
    v = vocabulary()
    tag_slugs = sorted(tag_slugs or [])
    plans: list[SyntheticPlan] = []
    plans_of: dict[str, list[int]] = {}
    codes = sorted(municipalities)
    for code in codes:
        city = municipalities[code].split()[-1]
        first = len(plans)
        plans.extend(_plans_for(rng, code, city))
        plans_of[code] = list(range(first, len(plans)))
    # Larger cities plan more services: a skewed weight per municipality.
    city_weights = [rng.lognormvariate(0, 0.6) for _ in codes]

    # Ideas by field (and 교통 sub-group), each list shuffled so popularity is seeded.
    pools: dict[str, list[tuple[str, list[str], list[float]]]] = {}
    for key, block in PATTERNS_BY_CATEGORY.items():
        category, _, subcategory = key.partition("/")
        names = split_list(block)
        rng.shuffle(names)
        pools.setdefault(category, []).append((subcategory, names, _popularity(len(names))))
    categories = list(PAPER_COUNTS)
    category_weights = [PAPER_COUNTS[c] for c in categories]
    statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())

    names_in_plan: dict[int, set[str]] = {}
    services = []
    for _ in range(n):
        code = rng.choices(codes, city_weights)[0]
        city = municipalities[code].split()[-1]
        candidates = plans_of[code]
        plan_index = rng.choices(candidates, [plans[i].weight for i in candidates])[0]
        taken = names_in_plan.setdefault(plan_index, set())
        category = rng.choices(categories, category_weights)[0]
        for attempt in range(20):
            if rng.random() < tail:  # a local one-off, kept in the drawn field
                subcategory, core = "", tail_name(rng, v)
            else:
                subcategory, core = _pick_idea(rng, pools[category])
                core = qualify(rng, core, v)
            name = decorate(rng, core, city, v)
            if attempt >= 10:
                name = f"{name} {attempt - 9}호"
            if name not in taken and len(name) <= 200:
                break
        taken.add(name)
        sentence = rng.choice(v.descriptions)
        description = f"{rng.choice(v.qualifiers)} 대상 {core}: {sentence}."
        if rng.random() < 0.5:
            description += f" {rng.choice(v.descriptions)}."
        services.append(
            SyntheticService(
                plan_index=plan_index,
                name=name,
                description=description,
                category_code=category,
                subcategory_code=subcategory,
                status=rng.choices(statuses, status_weights)[0],
                source_page=str(rng.randint(20, 400)),
                tag_slugs=_tags_for(rng, f"{name} {description}", tag_slugs),
            )
        )
    return SyntheticCatalog(plans, services)


def _pick_idea(rng: random.Random, pool) -> tuple[str, str]:
    """A (sub-group, idea) of one field; 교통's four groups hold 40 % of its services."""
    if len(pool) > 1:
        plain = [entry for entry in pool if not entry[0]]
        grouped = [entry for entry in pool if entry[0]]
        chosen = rng.choice(grouped) if rng.random() < TRANSPORT_SUBGROUP_SHARE else plain[0]
    else:
        chosen = pool[0]
    subcategory, names, weights = chosen
    return subcategory, rng.choices(names, weights)[0]
