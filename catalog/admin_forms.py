"""What the admin's forms add for staff: every error once, beside its field; a summary at the
top of a page that links to each error; and tags as checkboxes folded under a summary, so a
plan's service table keeps one line per service without any script."""

from dataclasses import dataclass

from django import forms
from django.forms.forms import NON_FIELD_ERRORS
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class ErrorsOnceMixin:
    """A form that states each error once.

    A model's ``clean()`` and a database constraint may say the same thing; Django then lists
    it twice. Repeats within a list are dropped, and an error of the whole form that a field
    already shows is left to the field, where it belongs.
    """

    def full_clean(self):
        super().full_clean()
        errors = getattr(self, "_errors", None)
        if not errors:
            return
        beside_fields: set[str] = set()
        for name, error_list in errors.items():
            if name != NON_FIELD_ERRORS:
                error_list.data = _unique(error_list, beside_fields)
        if NON_FIELD_ERRORS in errors:
            kept = _unique(errors[NON_FIELD_ERRORS], set(beside_fields))
            if kept:
                errors[NON_FIELD_ERRORS].data = kept
            else:
                del errors[NON_FIELD_ERRORS]


def _unique(error_list, seen: set[str]) -> list[forms.ValidationError]:
    """The errors of ``error_list`` whose message is not in ``seen`` (which they join)."""
    kept = []
    for error in error_list.as_data():
        message = " ".join(error)
        if message not in seen:
            seen.add(message)
            kept.append(error)
    return kept


class TagCheckboxes(forms.CheckboxSelectMultiple):
    """Tags as checkboxes (grouped by kind) inside ``<details>``, whose summary names the tags
    chosen: compact in a table row, usable on a phone, and no script is needed."""

    def render(self, name, value, attrs=None, renderer=None):
        boxes = super().render(name, value, attrs, renderer)
        return format_html(
            '<details class="tag-picker"><summary>{}</summary>{}</details>',
            self.summary(value),
            boxes,
        )

    def summary(self, value) -> str:
        chosen = {str(pk) for pk in value or ()}
        names = [
            str(label)
            for _group, options in self.choices
            for pk, label in options
            if str(pk) in chosen
        ]
        if not names:
            return _("태그 고르기")
        return ngettext(
            "태그 %(count)d개: %(names)s", "태그 %(count)d개: %(names)s", len(names)
        ) % {
            "count": len(names),
            "names": ", ".join(names),
        }


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: where the error is (a link to it) and what it says."""

    href: str
    where: str
    message: str


def error_summary(adminform, inline_admin_formsets) -> list[ErrorLink]:
    """Every error of a change form that is not already shown at the top of the page, each
    linking to its field (of the main form) or its row (of an inline table).

    The main form's errors of the whole form are printed at the top by the admin itself, so
    they are left out here.
    """
    links = []
    if adminform is not None:
        form = adminform.form
        for name, messages in form.errors.items():
            if name != NON_FIELD_ERRORS:
                bound = form[name]
                where = str(bound.label)
                links += [ErrorLink(f"#{bound.id_for_label}", where, m) for m in messages]
    for inline in inline_admin_formsets or ():
        links += _inline_errors(inline)
    return links


def _inline_errors(inline) -> list[ErrorLink]:
    formset = inline.formset
    prefix = formset.prefix
    table = str(inline.opts.verbose_name_plural)
    links = [ErrorLink(f"#{prefix}-group", table, m) for m in formset.non_form_errors()]
    for index, row in enumerate(formset.forms):
        if not row.errors:
            continue
        where = row_label(str(inline.opts.verbose_name), index, row)
        for name, messages in row.errors.items():
            label = where if name == NON_FIELD_ERRORS else f"{where} · {row[name].label}"
            links += [ErrorLink(f"#{prefix}-{index}", label, m) for m in messages]
    return links


def row_label(kind: str, index: int, row) -> str:
    """``서비스 3: 스마트 가로등`` — a row of an inline table as staff see it."""
    name = row["name"].value() if "name" in row.fields else ""
    if name:
        return _("%(kind)s %(number)d: %(name)s") % {
            "kind": kind,
            "number": index + 1,
            "name": name,
        }
    return _("%(kind)s %(number)d") % {"kind": kind, "number": index + 1}
