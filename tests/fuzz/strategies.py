"""What a visitor can put in a URL: text, numbers, markup and SQL, alone and mixed.

Values are drawn as text and sent percent-encoded, as a browser would; ``query_strings``
adds what no browser sends (broken escapes, invalid UTF-8, stray separators).
"""

from urllib.parse import quote, quote_from_bytes, urlencode

from hypothesis import strategies as st

MARKUP_PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</script><script>alert(1)</script>",
    "</title></textarea><script>alert(1)</script>",
    "＜script＞alert(1)＜/script＞",  # fullwidth: becomes <script> under NFKC
    "javascript:alert(1)",
)
# None of these may reach an HTML page unescaped, whatever was sent.
REFLECTION_MARKERS = ("<script>alert(", "<img src=x onerror", "<svg onload", 'href="javascript:')
SQL_PAYLOADS = (
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE catalog_service; --",
    "' UNION SELECT NULL, NULL --",
    "%",
    "_",
    "\\",
    "%_\\%",
    "'",
    '"',
    "*",
)
SPECIAL_CHARACTERS = (
    "\x00",
    "\x1b",
    "\x7f",
    "\r\n",
    "\t",
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\ufeff",  # byte order mark
    "\ufffd",
    "😀",
    "👩‍👩‍👧",
    "가",
    "ᄀ",  # conjoining jamo: NFKC composes it with what follows
    "㈜",
    "Ａ",
)
NUMBER_TEXTS = (
    "0",
    "-1",
    "-0",
    "1.5",
    "1e400",
    "-1e400",
    "1e-400",
    "NaN",
    "Infinity",
    "-inf",
    " 2024 ",
    "2 024",
    "2,024",
    "２０２４",  # fullwidth digits
    "٢٠٢٤",  # Arabic-Indic digits
    "0x10",
    "00012",
    "9" * 40,
    "-" + "9" * 40,
    str(2**63),
    str(-(2**63) - 1),
)

# Values the catalog knows, so that hostile values also meet real filters and results.
KNOWN_VALUES = {
    "category": ("transport", "safety-disaster", "health-welfare"),
    "subcategory": ("transport-parking", "transport-traffic-information"),
    "sido": ("11", "41", "27"),
    "municipality": ("41280", "48250", "11000"),
    "tag": ("cctv", "iot", "드론", "어린이"),
    "kind": ("master_plan", "challenge"),
    "status": ("planned", "operating"),
    "sort": ("relevance", "name", "municipality", "newest"),
    "per_page": ("20", "50", "100"),
    "page": ("1", "2", "last"),
    "year_from": ("2019", "2024"),
    "year_to": ("2025", "2030"),
    "q": ("스마트 가로등", "주차장에서", "CCTV", "횡단보도"),
    "m": ("41280", "48250", "27140", "11000"),
    "format": ("csv", "csv-utf8", "xlsx", "json"),
    "plan": ("1", "2"),
}
PARAMETER_NAMES = tuple(KNOWN_VALUES)


def numbers() -> st.SearchStrategy[str]:
    """Numbers as a visitor types them: huge, negative, fractional, spaced, in other digits."""
    return st.one_of(
        st.sampled_from(NUMBER_TEXTS),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
    )


def _fragments() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(MARKUP_PAYLOADS),
        st.sampled_from(SQL_PAYLOADS),
        st.sampled_from(SPECIAL_CHARACTERS),
        numbers(),
        st.text(max_size=20),
        st.sampled_from([value for values in KNOWN_VALUES.values() for value in values]),
    )


def hostile_text() -> st.SearchStrategy[str]:
    """Fragments run together, sometimes empty, sometimes thousands of characters long."""
    joined = st.lists(_fragments(), max_size=4).map("".join)
    very_long = st.tuples(_fragments(), st.integers(min_value=100, max_value=2000)).map(
        lambda pair: pair[0] * pair[1]
    )
    return st.one_of(joined, joined, joined, very_long, st.just(""), st.just(" "))


def parameter_values(name: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(KNOWN_VALUES[name]), hostile_text())


def query_pairs() -> st.SearchStrategy[list[tuple[str, str]]]:
    """Known parameters (some repeated, some empty) and unknown ones, with any values."""
    known = st.sampled_from(PARAMETER_NAMES).flatmap(
        lambda name: st.tuples(st.just(name), parameter_values(name))
    )
    unknown = st.tuples(hostile_text(), hostile_text())
    return st.lists(st.one_of(known, known, known, unknown), max_size=8)


RAW_QUERY_PIECES = ("%", "%zz", "%ff%fe", "%c3%28", "%00", "&", "&&", "=", "==", ";", "+", "a=b=c")


@st.composite
def query_strings(draw) -> str:
    """Properly encoded pairs, and now and then pieces no browser would send."""
    encoded = urlencode(draw(query_pairs()))
    raw_pieces = st.one_of(
        st.sampled_from(RAW_QUERY_PIECES), st.binary(max_size=12).map(quote_from_bytes)
    )
    raw = draw(st.lists(raw_pieces, max_size=3))
    return "&".join(filter(None, [encoded, *raw]))


RAW_PATH_SEGMENTS = ("..", ".", "%2e%2e", "%2F", "%00", "%ff", "services", "export", "analysis")


def path_segments() -> st.SearchStrategy[str]:
    """One URL path segment: any text percent-encoded (so ``/`` and NUL travel inside it),
    numbers, and escapes sent as they are."""
    return st.one_of(
        hostile_text().filter(bool).map(lambda segment: quote(segment, safe="")),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.sampled_from(RAW_PATH_SEGMENTS),
    )


def latin1(text: str) -> str:
    """A header value as WSGI hands it over: UTF-8 bytes read as Latin-1, on one line."""
    return text.replace("\r", "").replace("\n", "").encode().decode("latin-1")


def _cookie_quoted(text: str) -> str:
    """A quoted cookie value, control characters as octal escapes (``\\000`` is NUL)."""
    escaped = "".join(f"\\{ord(ch):03o}" if ord(ch) < 32 or ch in '"\\' else ch for ch in text)
    return f'"{escaped}"'


LANGUAGE_VALUES = ("ko", "en", "en-US,en;q=0.9", "*", "zz", "ko;q=abc", "en-" + "x" * 300)
COOKIE_NAMES = ("django_language", "sessionid", "csrftoken")


@st.composite
def visitor_headers(draw) -> dict[str, str]:
    """Accept-Language and cookies (language, session, CSRF), absent, odd or hostile."""
    headers = {}
    languages = st.one_of(st.sampled_from(LANGUAGE_VALUES), hostile_text())
    if draw(st.booleans()):
        headers["HTTP_ACCEPT_LANGUAGE"] = latin1(draw(languages))
    values = st.one_of(languages, languages.map(_cookie_quoted))
    cookies = draw(st.lists(st.tuples(st.sampled_from(COOKIE_NAMES), values), max_size=3))
    if cookies:
        headers["HTTP_COOKIE"] = latin1("; ".join(f"{name}={value}" for name, value in cookies))
    return headers
