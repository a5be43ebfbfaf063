"""Spreadsheet import in the admin: upload, preview, confirm — and the matching exports.

The preview page carries the uploaded file back (base64, in a hidden field) so that the
confirming request reads, checks and writes exactly the file that was previewed, with the
permissions of the person confirming; nothing is stored between the two steps.
"""

import base64
import binascii

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import importing
from catalog.permissions import editable_municipalities

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("파일"),
        help_text=gettext_lazy("CSV(UTF-8 또는 CP949) 또는 XLSX. 양식의 열 이름을 그대로 쓰세요."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("파일이 너무 큽니다(10MB까지)."))
        return upload


class ConfirmForm(forms.Form):
    filename = forms.CharField(widget=forms.HiddenInput, max_length=255)
    content = forms.CharField(widget=forms.HiddenInput)

    def clean_content(self):
        try:
            return base64.b64decode(self.cleaned_data["content"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise forms.ValidationError(_("파일 내용이 손상되었습니다. 다시 올려 주세요.")) from exc


class PlanImportMixin:
    """Adds import, export and template views to the plan admin."""

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<int:plan_id>/import/",
                view(self.import_view),
                name=f"{prefix}_import",
            ),
            path(
                "<int:plan_id>/export/",
                view(self.export_view),
                name=f"{prefix}_export",
            ),
            path(
                "import-template/",
                view(self.template_view),
                name=f"{prefix}_import_template",
            ),
            *super().get_urls(),
        ]

    def _plan_or_404(self, request, plan_id):
        plan = self.get_queryset(request).filter(pk=plan_id).first()
        if plan is None:
            raise Http404
        return plan

    def import_view(self, request, plan_id):
        plan = self._plan_or_404(request, plan_id)
        if not (
            self.has_change_permission(request, plan)
            and request.user.has_perm("catalog.add_service")
            and request.user.has_perm("catalog.change_service")
        ):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "plan": plan,
            "title": _("서비스 가져오기: %(plan)s") % {"plan": plan},
            "template_url": reverse("admin:catalog_plan_import_template"),
        }
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request, plan, context)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            return self._preview(request, plan, context, upload.name, data)
        return TemplateResponse(
            request, "admin/catalog/plan/import_upload.html", {**context, "form": form}
        )

    def _prepare(self, request, plan, filename, data):
        table = importing.read_table(data, filename)
        return importing.prepare(
            table, plan=plan, allowed_municipalities=editable_municipalities(request.user)
        )

    def _preview(self, request, plan, context, filename, data):
        try:
            preview = self._prepare(request, plan, filename, data)
        except importing.ImportFileError as error:
            form = UploadForm()
            form.errors["file"] = form.error_class([str(error)])
            return TemplateResponse(
                request, "admin/catalog/plan/import_upload.html", {**context, "form": form}
            )
        confirm = ConfirmForm(
            initial={"filename": filename, "content": base64.b64encode(data).decode("ascii")}
        )
        return TemplateResponse(
            request,
            "admin/catalog/plan/import_preview.html",
            {**context, "preview": preview, "confirm_form": confirm},
        )

    def _confirm(self, request, plan, context):
        confirm = ConfirmForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, _("파일 내용이 손상되었습니다. 다시 올려 주세요."))
            return HttpResponseRedirect(request.path)
        filename, data = confirm.cleaned_data["filename"], confirm.cleaned_data["content"]
        try:
            preview = self._prepare(request, plan, filename, data)
            if preview.has_errors:
                return self._preview(request, plan, context, filename, data)
            result = importing.apply(preview, user=request.user)
        except importing.ImportFileError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.path)
        except importing.ImportRefused as refused:
            for line in refused.lines:
                messages.error(request, line)
            return HttpResponseRedirect(request.path)
        counts = result.counts
        messages.success(
            request,
            _("가져왔습니다: 새로 %(create)d개, 고침 %(update)d개, 그대로 %(unchanged)d개.")
            % {
                "create": counts.get("create", 0),
                "update": counts.get("update", 0),
                "unchanged": counts.get("unchanged", 0),
            },
        )
        return HttpResponseRedirect(reverse("admin:catalog_plan_change", args=[plan.pk]))

    def export_view(self, request, plan_id):
        plan = self._plan_or_404(request, plan_id)
        file_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
        return importing.plan_export_response(plan, file_format)

    def template_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        file_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
        return importing.template_response(file_format)
