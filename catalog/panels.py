"""Sections other apps add to the catalog's detail pages, without the catalog knowing them.

An app registers a function for a page ("service" or "municipality"); the page calls every
registered function with the object and the request and shows the HTML they return, in
registration order. The analysis app adds "the same idea elsewhere" this way, so the catalog
never imports it.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

Panel = Callable[[object, HttpRequest], SafeString | str]
_registry: dict[str, list[Panel]] = {"service": [], "municipality": []}


def register(page: str, panel: Panel) -> None:
    if panel not in _registry[page]:
        _registry[page].append(panel)


def render(page: str, obj, request: HttpRequest) -> list[SafeString | str]:
    return [html for panel in _registry[page] if (html := panel(obj, request))]
