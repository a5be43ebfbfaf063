"""Scale benchmark of ``analysis.duplication.find_clusters`` on synthetic services.

    .venv/bin/python bench/dedup_scale.py --services 100000

Synthesises N services over the 243 municipalities of ``fixtures/municipalities.json`` by
combining real smart-city service patterns (the names of ``tests/analysis/labelled_services.csv``
and a list below) with the wording and spacing variants that plans use: generic prefixes and
suffixes (스마트, 지능형, IoT, … 서비스, 구축, 설치, …), the city's own name, years, places and
targets (전통시장, 어린이보호구역, ○○동 …), spaces dropped or added, plus a long tail of
one-off local services. It then runs ``find_clusters`` once and prints the wall time and the
peak resident memory of the process (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).

Synthetic data only: it is never written to the database and never mixed with real data.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.duplication import (  # noqa: E402
    Parameters,
    Record,
    build_normaliser,
    find_clusters,
    municipality_names,
)

# More service ideas seen in Korean smart-city plans (besides the labelled set's names).
EXTRA_PATTERNS = """
스마트 가로등 | 보안등 원격제어 | 스마트 보안등 | LED 보안등 교체 | 스마트 횡단보도
스마트 교차로 | 회전교차로 안전 | 보행자 우선 신호 | 교통약자 보행신호 연장 | 스마트 주차장
공영주차장 주차정보 | 주차면 센서 | 공유 주차장 | 스마트 파킹 | 스마트 버스정류장
BIS 버스정보 안내 | 버스도착정보 안내 | 저상버스 예약 | 스마트 쉼터 | 스마트 그늘막 | 쿨링포그
스마트 벤치 | 태양광 벤치 | 미세먼지 신호등 | 미세먼지 알리미 | 미세먼지 측정망
대기오염 측정소 | 스마트 방범 | 지능형 CCTV | 방범 CCTV | CCTV 통합관제센터 | 비상벨 연계 CCTV
안심귀가 | 여성 안심택배함 | 안심 무인택배 | 스마트 무인택배함 | 치매노인 배회감지
독거노인 응급안전 | AI 스피커 돌봄 | 스마트 경로당 | 원격 건강관리 | 모바일 헬스케어
비대면 진료 지원 | 스마트 보건소 | 공공 와이파이 | 무료 와이파이 | 스마트 도서관
무인 도서 대출 | 전기차 충전소 | 수소충전소 | 전기버스 도입 | 공공자전거 | 공유 킥보드
수요응답형 버스 | 자율주행 셔틀 | 드론 배송 | 드론 순찰 | 드론 방제 | 드론 산불감시
산불 감시 카메라 | 산사태 감지 | 급경사지 계측 | 하천 수위 감시 | 침수 예경보
지하차도 침수 차단 | 재난 예경보 방송 | 지진 감지 | 스마트팜 | 스마트 축사 | 스마트 양식장
농산물 직거래 플랫폼 | 스마트 APC | 스마트 쓰레기통 | 음식물쓰레기 RFID 종량기
재활용품 회수 로봇 | 투명페트병 회수기 | 스마트 원격검침 | 상수도 누수 감지 | 스마트 물관리
하수도 악취 감시 | 건물 에너지 관리 | 태양광 발전 | 에너지 자립마을 | 스마트 그리드
디지털 트윈 | 도시데이터 허브 | 빅데이터 분석 플랫폼 | 공공데이터 개방 | AI 민원 챗봇
무인민원발급기 | 모바일 전자시민증 | 지역화폐 플랫폼 | AR 관광 안내 | VR 체험관
관광 안내 키오스크 | 스마트 관광 앱 | 미디어 파사드 | 미디어월 | 디지털 사이니지
스마트 전통시장 | 전통시장 화재감지 | 상가 공실 정보 | 스마트 공장 지원 | 산업단지 통합관제
산단 환경 감시 | 기업 자원 공유 | 스마트 스쿨존 | 어린이보호구역 과속 경고
통학버스 위치 알림 | 어린이 위치 확인 | 스마트 놀이터 | 스마트 공원 | 공원 이용객 계수
스마트 화장실 | 공중화장실 비상벨 | 등산로 비상벨 | 해수욕장 이안류 감지 | 해양 안전 드론
스마트 항만 | 어선 위치 관제 | 도시가스 누출 감지 | 맨홀 감시 | 교량 안전 모니터링
터널 화재 감시 | 불법주정차 단속 | 불법투기 감시 | 노후 건축물 안전 감시 | 빈집 정보 관리
스마트 시티앱 | 시민 참여 리빙랩 | 스마트 도시재생 | 스마트 마을방송
"""

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


def split_list(text: str) -> list[str]:
    """Items of a "a | b | c" block; "-" is the empty string."""
    items = [item.strip() for line in text.strip().splitlines() for item in line.split("|")]
    return ["" if item == "-" else item for item in items]


def load_patterns() -> list[str]:
    path = ROOT / "tests" / "analysis" / "labelled_services.csv"
    names = []
    if path.exists():
        with open(path, encoding="utf-8", newline="") as fh:
            names = [row["name"] for row in csv.DictReader(fh)]
    return sorted(set(names) | set(split_list(EXTRA_PATTERNS)))


def synthesise(n: int, seed: int = 7, tail: float = 0.3) -> list[Record]:
    """N synthetic services (a share ``tail`` of them local one-offs); deterministic."""
    rng = random.Random(seed)
    names = municipality_names(ROOT / "fixtures" / "municipalities.json")
    codes = sorted(names)
    patterns = load_patterns()
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(patterns))]  # some ideas are popular
    rng.shuffle(patterns)
    # "스마트_" is glued to what follows, "_서비스" to what precedes
    prefixes = [p.replace("_", "") if p.endswith("_") else p + " " * bool(p) for p in
                split_list(PREFIXES)]  # fmt: skip
    suffixes = [s.replace("_", "") if s.startswith("_") else " " * bool(s) + s for s in
                split_list(SUFFIXES)]  # fmt: skip
    qualifiers, descriptions = split_list(QUALIFIERS), split_list(DESCRIPTIONS)
    tail_words, actions = split_list(TAIL_WORDS), split_list(TAIL_ACTIONS)
    dongs = [a + b + "동" for a in SYLLABLES for b in SYLLABLES if a != b][:400]
    records = []
    for i in range(n):
        code = rng.choice(codes)
        city = names[code].split()[-1]
        if rng.random() < tail:  # a long tail of local, one-off services
            asset = rng.choice(tail_words) + rng.choice(tail_words)
            name = f"{rng.choice(dongs)} {asset} {rng.choice(actions)}"
        else:
            name = rng.choices(patterns, weights)[0]
            if rng.random() < 0.35:
                name = f"{rng.choice(qualifiers)} {name}"
            if rng.random() < 0.1:
                name = f"{rng.choice(dongs)} {name}"
        name = rng.choice(prefixes) + name + rng.choice(suffixes)
        if rng.random() < 0.1:
            name = f"{city} {name}"
        if rng.random() < 0.08:
            name = f"{rng.randint(2018, 2026)}년 {name}"
        roll = rng.random()
        if roll < 0.25:  # spacing dropped …
            name = name.replace(" ", "")
        elif roll < 0.35:  # … or added
            name = " ".join(name.replace("스마트", "스마트 ").split())
        description = ""
        if rng.random() < 0.4:
            description = f"{rng.choice(qualifiers)} {rng.choice(descriptions)}"
        records.append(Record(i, code, name, description, names[code]))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tail", type=float, default=0.3, help="share of local one-off services (default 0.3)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override a Parameters field, e.g. --set neighbours=20",
    )
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    params = Parameters.from_dict(
        {**Parameters().to_dict(), **{key: json.loads(value) for key, value in overrides.items()}}
    )

    t0 = time.perf_counter()
    records = synthesise(args.services, args.seed, args.tail)
    t1 = time.perf_counter()
    before_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    clusters = find_clusters(records, params)
    t2 = time.perf_counter()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    normaliser = build_normaliser(records, params)
    distinct = len({normaliser.normalise(r.name, r.municipality_name) for r in records})

    sizes = sorted((c.size for c in clusters), reverse=True)
    clustered = sum(sizes)
    shared_cities = Counter(len(c.municipality_codes) for c in clusters)
    median_cities = sorted(shared_cities.elements())[len(clusters) // 2] if clusters else 0
    print(f"services              {len(records):>10,}")
    print(f"distinct normalised   {distinct:>10,}")
    print(f"synthesis             {t1 - t0:>10.1f} s")
    print(f"find_clusters         {t2 - t1:>10.1f} s   (wall time)")
    print(f"peak memory (RSS)     {peak_mib:>10.0f} MiB (whole process; {before_mib:.0f} before)")
    print(f"clusters              {len(clusters):>10,}")
    print(f"services clustered    {clustered:>10,} ({clustered / max(len(records), 1):.0%})")
    print(f"largest clusters      {sizes[:8]}")
    print(f"median cities/cluster {median_cities:>10}")
    for c in clusters[:5]:
        print(f"  {c.label!r}: {c.size} services, {len(c.municipality_codes)} municipalities")


if __name__ == "__main__":
    main()
