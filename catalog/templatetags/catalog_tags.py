from django import template
from django.utils.html import format_html

from catalog.structured_data import to_json_ld

register = template.Library()


@register.filter(is_safe=True)
def json_ld(data: dict) -> str:
    """``{{ data|json_ld }}``: a ``<script type="application/ld+json">`` block for ``data``."""
    return format_html('<script type="application/ld+json">{}</script>', to_json_ld(data))
