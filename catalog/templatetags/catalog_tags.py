from django import template
from django.utils.html import format_html

from catalog import charts
from catalog.structured_data import to_json_ld

register = template.Library()


@register.filter(is_safe=True)
def json_ld(data: dict) -> str:
    """``{{ data|json_ld }}``: a ``<script type="application/ld+json">`` block for ``data``."""
    return format_html('<script type="application/ld+json">{}</script>', to_json_ld(data))


@register.simple_tag
def share_chart(categories, *names) -> charts.ShareBars:
    """``{% share_chart categories as chart %}``: the fields' ``share`` as bars; with two
    ``names`` (an area and the country), each field's ``share`` beside its ``national_share``."""

    def shares(category) -> list[float]:
        if len(names) > 1:
            return [category.share, category.national_share]
        return [category.share]

    return charts.share_bars([(category.name, shares(category)) for category in categories], names)
