"""schema.org descriptions of catalog pages, emitted as JSON-LD.

The dicts are built here, in Python; ``to_json_ld`` serialises one so that it can sit inside a
``<script type="application/ld+json">`` block: ``<``, ``>`` and ``&`` become ``\\u003C`` etc.,
as Django's ``json_script`` does, so no text (a service named ``</script>``) can end the block.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import SafeString, mark_safe

SCHEMA_CONTEXT = "https://schema.org"

_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def to_json_ld(data: dict) -> SafeString:
    """JSON text that is safe to place, unescaped, inside a script element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    # Safe: the only characters that could close the script element are escaped above.
    return mark_safe(text.translate(_SCRIPT_ESCAPES))


def service_data(service, request) -> dict:
    """A published service as a schema.org ``GovernmentService``."""
    municipality = service.plan.municipality
    data = {
        "@context": SCHEMA_CONTEXT,
        "@type": "GovernmentService",
        "name": service.name,
        "serviceType": service.category.name,
        "url": request.build_absolute_uri(service.get_absolute_url()),
        "provider": _organization(municipality, request),
        "areaServed": _area(municipality),
    }
    if service.description:
        data["description"] = service.description
    if service.source_url:
        data["isBasedOn"] = service.source_url
    return data


def plan_data(plan, request) -> dict:
    """A plan as a schema.org ``CreativeWork`` written by its municipality, covering its area
    and, when known, its years (an ISO 8601 interval such as ``2024/2028``)."""
    municipality = plan.municipality
    data = {
        "@context": SCHEMA_CONTEXT,
        "@type": "CreativeWork",
        "name": plan.title,
        "genre": plan.get_kind_display(),
        "url": request.build_absolute_uri(plan.get_absolute_url()),
        "author": _organization(municipality, request),
        "spatialCoverage": _area(municipality),
    }
    years = [str(year) for year in (plan.start_year, plan.end_year) if year]
    if years:
        data["temporalCoverage"] = "/".join(years)
    sources = [url for url in (plan.document_url, plan.source_url) if url]
    if sources:
        data["isBasedOn"] = sources
    return data


def _organization(municipality, request) -> dict:
    return {
        "@type": "GovernmentOrganization",
        "name": str(municipality),
        "url": request.build_absolute_uri(municipality.get_absolute_url()),
    }


def _area(municipality) -> dict:
    return {
        "@type": "AdministrativeArea",
        "name": str(municipality),
        "identifier": municipality.code,
    }
