"""The municipality × field heatmap's cells, written in Python: the dashboard has thousands
of them (every municipality × 12 fields), and writing them one template variable at a time
took most of the page's time."""

from django import template
from django.utils.formats import get_format
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def heatmap_cells(row) -> str:
    """One ``<td>`` per field of a ``MatrixRow``: count · share% (location quotient).

    Every value written is a number computed by the analysis, so nothing needs escaping.
    """
    point = get_format("DECIMAL_SEPARATOR")

    def number(value) -> str:
        return str(value).replace(".", point)

    cells = []
    for cell in row.cells:
        text = ""
        if cell.count:
            text = f"{cell.count} · {number(cell.share)}%"
            if cell.quotient is not None:
                text += f' <span class="lq">({number(cell.quotient)})</span>'
        cells.append(f'<td class="heat-{int(cell.heat)}">{text}</td>')
    return mark_safe("".join(cells))
