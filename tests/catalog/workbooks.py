"""Workbooks for import tests and the import benchmark: one written by openpyxl, and one written
directly, as another program might, with values far to the right."""

import io
import zipfile

from openpyxl import Workbook


def workbook_bytes(rows) -> bytes:
    """An XLSX holding ``rows`` (lists of cell values) in its first sheet."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sparse_xlsx(rows: int, far_column: str = "XFD") -> bytes:
    """A workbook whose data rows each hold one value in ``far_column``, written directly (as
    another program might): openpyxl's own reader would pad each row to that column."""
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>서비스 {r}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>교통</t></is></c>'
        f'<c r="C{r}" t="inlineStr"><is><t>1</t></is></c>'
        f'<c r="{far_column}{r}" t="inlineStr"><is><t>x</t></is></c></row>'
        for r in range(2, rows + 2)
    )
    header = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>서비스명</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>분야</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>문서 쪽</t></is></c></row>'
    )
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="s" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><worksheet {ns}><sheetData>{header}{cells}</sheetData>'
            "</worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
