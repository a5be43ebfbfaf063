"""The files that describe a release beside its tables: ``datapackage.json`` (a Frictionless
Data Package), the README codebook in Korean and English, and ``CITATION.cff``; and the
citation line the ``/data/`` page offers to copy.

The data files are written in both languages whatever the language of whoever makes the
release; only the citation line on the page follows the visitor's language.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from analysis.models import DuplicationRun
from releases.package import Column, Table

PUBLISHER_KO = "스마트도시 서비스 카탈로그"
PUBLISHER_EN = "Smart City Service Catalog"
TITLE_KO = f"{PUBLISHER_KO} 데이터 릴리스"
TITLE_EN = f"{PUBLISHER_EN} data release"
ABOUT_KO = (
    "자치단체가 스마트도시계획과 스마트시티 사업에 담은 서비스를 출처와 함께 모은 공개 카탈로그의 "
    "고정된 사본입니다. 공개된 서비스, 계획, 자치단체(이전 코드 포함), 분야와 세부 분야, 태그, "
    "여러 자치단체가 되풀이한 아이디어 묶음과 그 서비스, 분야별 비중, 자치단체 × 분야 표, "
    "차별화 지수를 담았습니다."
)
ABOUT_EN = (
    "A frozen copy of a public catalog of the smart-city services Korean local governments "
    "plan in their smart-city master plans and funded projects, each with its source: the "
    "published services, plans, municipalities (with former codes), fields and sub-fields, tags, "
    "the ideas several municipalities repeat with their services, field shares, the "
    "municipality × field matrix and the differentiation index."
)
CITE_MESSAGE = (
    "이 자료를 쓰면 아래와 같이 인용해 주세요. If you use this data, please cite it as below."
)
KEYWORDS = ("스마트도시", "smart city", "지방자치단체", "local government", "Korea", "open data")
TYPE_NAMES_KO = {
    "string": "글",
    "integer": "정수",
    "number": "수",
    "boolean": "참/거짓",
    "date": "날짜",
    "datetime": "날짜·시각",
}


@dataclass(frozen=True)
class Resource:
    """A table as written: its rows, bytes and SHA-256."""

    table: Table
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Metadata:
    version: str
    created: datetime  # local time
    notes: str
    site_url: str
    catalog_revision: int
    run: DuplicationRun | None
    resources: tuple[Resource, ...]
    figures: dict

    @property
    def download_url(self) -> str:
        return f"{self.site_url}{reverse('releases:download', args=[self.version])}"

    @property
    def landing_url(self) -> str:
        return f"{self.site_url}{reverse('releases:list')}"

    @property
    def counts(self) -> dict[str, int]:
        return {resource.table.name: resource.rows for resource in self.resources}


def method_of(run: DuplicationRun | None) -> dict | None:
    """The duplication method behind a release's idea clusters: name, version, parameters."""
    if run is None:
        return None
    name, separator, version = run.method.rpartition(" v")
    return {
        "name": name if separator else run.method,
        "version": version if separator else "",
        "run_id": run.pk,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "service_count": run.service_count,
        "parameters": run.parameters,
    }


# -- datapackage.json -------------------------------------------------------------------


def datapackage(meta: Metadata) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": "smartcity-catalog",
        "id": meta.download_url,
        "title": f"{TITLE_KO} {meta.version} / {TITLE_EN} {meta.version}",
        "description": f"{ABOUT_KO}\n\n{ABOUT_EN}",
        "version": meta.version,
        "created": meta.created.isoformat(),
        "homepage": meta.landing_url,
        "keywords": list(KEYWORDS),
        "contributors": [{"title": f"{PUBLISHER_KO} / {PUBLISHER_EN}", "role": "publisher"}],
        "sources": [{"title": f"{PUBLISHER_KO} / {PUBLISHER_EN}", "path": f"{meta.site_url}/"}],
        "notes": meta.notes,
        "catalog_revision": meta.catalog_revision,
        "duplication_method": method_of(meta.run),
        "counts": meta.counts,
        "figures": meta.figures,
        "resources": [_resource(resource) for resource in meta.resources],
    }


def _resource(resource: Resource) -> dict:
    table = resource.table
    return {
        "profile": "tabular-data-resource",
        "name": table.name,
        "path": table.path,
        "title": f"{table.ko} / {table.en}",
        "description": f"{table.about_ko}\n\n{table.about_en}",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": resource.bytes,
        "hash": f"sha256:{resource.sha256}",
        "schema": table.schema(),
    }


# -- CITATION.cff -----------------------------------------------------------------------


def _yaml(value: str) -> str:
    """A YAML scalar: a JSON string is a valid double-quoted YAML one."""
    return json.dumps(value, ensure_ascii=False)


def citation_cff(meta: Metadata) -> str:
    keywords = "".join(f"  - {_yaml(word)}\n" for word in KEYWORDS)
    return (
        "cff-version: 1.2.0\n"
        f"message: {_yaml(CITE_MESSAGE)}\n"
        "type: dataset\n"
        f"title: {_yaml(f'{TITLE_KO} / {TITLE_EN}')}\n"
        f"version: {_yaml(meta.version)}\n"
        f"date-released: {_yaml(meta.created.date().isoformat())}\n"
        "authors:\n"
        f"  - name: {_yaml(f'{PUBLISHER_KO} / {PUBLISHER_EN}')}\n"
        f"url: {_yaml(meta.landing_url)}\n"
        f"repository-artifact: {_yaml(meta.download_url)}\n"
        f"abstract: {_yaml(f'{ABOUT_KO} {ABOUT_EN}')}\n"
        f"keywords:\n{keywords}"
    )


def citation_line(version: str, year: int, url: str) -> str:
    """The reference to copy, in the active language."""
    text = _(
        "%(publisher)s (%(year)s). %(publisher)s 데이터 릴리스 %(version)s [데이터 세트]. %(url)s"
    )
    return text % {
        "publisher": _("스마트도시 서비스 카탈로그"),
        "year": year,
        "version": version,
        "url": url,
    }


# -- README.md, the codebook --------------------------------------------------------------


def readme(meta: Metadata) -> str:
    return "\n".join(
        [
            f"# {TITLE_KO} {meta.version}",
            f"# {TITLE_EN} {meta.version}",
            "",
            *_korean(meta),
            "",
            *_english(meta),
            "",
        ]
    )


def _cell(text) -> str:
    """Text for a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _korean(meta: Metadata) -> list[str]:
    method = method_of(meta.run)
    lines = [
        "## 한국어",
        "",
        ABOUT_KO,
        "",
        f"- 판: {meta.version}",
        f"- 만든 때: {meta.created.isoformat()}",
        f"- 카탈로그 판(revision): {meta.catalog_revision}",
        f"- 주소: {meta.landing_url}",
    ]
    if meta.notes:
        lines += ["", "### 알림", "", meta.notes]
    lines += [
        "",
        "### 인용",
        "",
        f"{PUBLISHER_KO} ({meta.created.year}). {TITLE_KO} {meta.version} [데이터 세트]. "
        f"{meta.download_url}",
        "",
        "`CITATION.cff`에 같은 내용이 기계가 읽는 형식으로 있습니다. 내려받은 파일의 SHA-256은 "
        "/data/ 화면에 있습니다.",
        "",
        "### 읽는 법",
        "",
        "- 표마다 `data/` 아래 CSV 파일 하나: UTF-8(BOM 없음), 쉼표로 구분, 첫 줄은 열 이름.",
        "- 빈 칸은 값이 없다는 뜻입니다. 참/거짓은 `True`/`False`.",
        "- 스프레드시트가 수식으로 실행하지 않도록 `=`, `+`, `-`, `@`, 탭, 줄바꿈(CR)으로 시작하는 "
        "글 칸 앞에는 `'`를 붙였습니다(카탈로그의 내보내기와 같은 규칙).",
        "- `datapackage.json`은 Frictionless Data Package입니다: 열의 형식, 허용 값, 기본 키와 "
        "외래 키, 파일마다 바이트 수와 SHA-256. `frictionless validate datapackage.json`으로 "
        "검증합니다.",
        "- 공개된 서비스만 담았습니다. 서비스는 저마다 출처(URL, 문서 쪽, 메모)를 밝힙니다.",
        "",
        "### 중복 분석",
        "",
    ]
    if method is None:
        lines.append("이 릴리스를 만들 때까지 중복 분석이 실행되지 않아 아이디어 묶음이 없습니다.")
    else:
        lines += [
            f"- 방법: {method['name']}",
            f"- 방법 판: {method['version']}",
            f"- 실행 번호: {method['run_id']}, 끝난 때: {method['finished_at']}",
            "- 매개변수: `datapackage.json`의 `duplication_method.parameters`",
        ]
    return lines + _tables(meta, KOREAN)


def _english(meta: Metadata) -> list[str]:
    method = method_of(meta.run)
    lines = [
        "## English",
        "",
        ABOUT_EN,
        "",
        f"- Version: {meta.version}",
        f"- Made: {meta.created.isoformat()}",
        f"- Catalog revision: {meta.catalog_revision}",
        f"- Address: {meta.landing_url}",
    ]
    if meta.notes:
        lines += ["", "### Notes", "", meta.notes]
    lines += [
        "",
        "### How to cite",
        "",
        f"{PUBLISHER_EN} ({meta.created.year}). {TITLE_EN} {meta.version} [Data set]. "
        f"{meta.download_url}",
        "",
        "`CITATION.cff` holds the same in a machine-readable form. The SHA-256 of the "
        "downloaded file is on the /data/ page.",
        "",
        "### Reading the files",
        "",
        "- One CSV file per table under `data/`: UTF-8 (no BOM), comma-separated, the first "
        "line the column names.",
        "- An empty cell means no value. Booleans are `True`/`False`.",
        "- A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed "
        "with `'`, so that no spreadsheet runs it as a formula (the rule of the catalog's "
        "exports).",
        "- `datapackage.json` is a Frictionless Data Package: each column's type and allowed "
        "values, primary and foreign keys, and each file's size and SHA-256. Check it with "
        "`frictionless validate datapackage.json`.",
        "- Only published services are included; every service names its source (URL, "
        "document page or note).",
        "",
        "### Duplication analysis",
        "",
    ]
    if method is None:
        lines.append("No duplication run had been made by this release: it has no idea clusters.")
    else:
        lines += [
            f"- Method: {method['name']}",
            f"- Method version: {method['version']}",
            f"- Run: {method['run_id']}, finished {method['finished_at']}",
            "- Parameters: `duplication_method.parameters` in `datapackage.json`",
        ]
    return lines + _tables(meta, ENGLISH)


@dataclass(frozen=True)
class Codebook:
    """The words of the codebook's table sections in one language (``ko`` or ``en``: the
    suffix of the tables' and columns' names and descriptions)."""

    language: str
    tables: str
    index_header: str
    primary_key: str
    foreign_key: str
    column_header: str
    type_names: dict[str, str]

    def name(self, described) -> str:
        return getattr(described, self.language)

    def about(self, described) -> str:
        return getattr(described, f"about_{self.language}")


KOREAN = Codebook(
    "ko",
    "표",
    "| 파일 | 표 | 행 수 | 설명 |",
    "기본 키",
    "외래 키",
    "| 열 | 형식 | 허용 값 | 뜻 |",
    TYPE_NAMES_KO,
)
ENGLISH = Codebook(
    "en",
    "Tables",
    "| file | table | rows | description |",
    "Primary key",
    "Foreign key",
    "| column | type | allowed values | meaning |",
    {},
)


def _tables(meta: Metadata, words: Codebook) -> list[str]:
    lines = [
        "",
        f"### {words.tables}",
        "",
        words.index_header,
        "| --- | --- | ---: | --- |",
        *(
            f"| `{r.table.path}` | {words.name(r.table)} | {r.rows} | "
            f"{_cell(words.about(r.table))} |"
            for r in meta.resources
        ),
    ]
    for resource in meta.resources:
        lines += ["", *_table(resource.table, words)]
    return lines


def _table(table: Table, words: Codebook) -> list[str]:
    lines = [
        f"#### {words.name(table)} (`{table.path}`)",
        "",
        words.about(table),
        "",
        f"- {words.primary_key}: {', '.join(table.primary_key)}",
    ]
    lines += [f"- {words.foreign_key}: {_reference(key)}" for key in table.foreign_keys]
    lines += ["", words.column_header, "| --- | --- | --- | --- |"]
    lines += [
        f"| `{c.name}` | {words.type_names.get(c.type, c.type)} | {_allowed(c)} | "
        f"{_cell(' '.join(filter(None, [words.name(c) + '.', words.about(c)])))} |"
        for c in table.columns
    ]
    return lines


def _reference(key) -> str:
    target = key.resource or "(self)"
    return f"{', '.join(key.fields)} → {target} ({', '.join(key.reference)})"


def _allowed(column: Column) -> str:
    return ", ".join(f"`{value}`" for value in column.allowed)
