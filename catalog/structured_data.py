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
        "provider": {
            "@type": "GovernmentOrganization",
            "name": str(municipality),
            "url": request.build_absolute_uri(municipality.get_absolute_url()),
        },
        "areaServed": {
            "@type": "AdministrativeArea",
            "name": str(municipality),
            "identifier": municipality.code,
        },
    }
    if service.description:
        data["description"] = service.description
    if service.source_url:
        data["isBasedOn"] = service.source_url
    return data
