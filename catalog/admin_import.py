"""Spreadsheet import in the admin: upload, preview, confirm — and the matching exports.

Two entries share one flow: a plan's own import (every row goes into that plan) and the
catalog-wide import, where each row names its municipality and plan and, for staff who may
add plans, plans the file describes are created. The uploaded file is staged on the server
(``catalog.importing.staging``) and the preview carries only its token, so confirming never
re-sends the file; the confirming request reads, checks and writes exactly the staged file,
with the permissions of the person confirming.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import importing
from catalog.importing import staging
from catalog.permissions import editable_municipalities

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 500  # rows the preview table lists (every row with an error is listed too)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("파일"),
        help_text=gettext_lazy("CSV(UTF-8 또는 CP949) 또는 XLSX. 양식의 열 이름을 그대로 쓰세요."),
    )
    create_plans = forms.BooleanField(
        label=gettext_lazy("새 계획 만들기"),
        required=False,
        help_text=gettext_lazy(
            "파일의 계획명이 아직 없는 계획이면 파일에 적힌 계획종류·연도·출처로 새로 만듭니다."
        ),
    )

    def __init__(self, *args, may_create_plans: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_create_plans:
            del self.fields["create_plans"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("파일이 너무 큽니다(10MB까지)."))
        return upload


class PlanImportMixin:
    """Adds import, export and template views to the plan admin."""

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.catalog_import_view), name=f"{prefix}_import_many"),
            path("<int:plan_id>/import/", view(self.import_view), name=f"{prefix}_import"),
            path("<int:plan_id>/export/", view(self.export_view), name=f"{prefix}_export"),
            path("import-template/", view(self.template_view), name=f"{prefix}_import_template"),
            *super().get_urls(),
        ]

    # permissions

    def _may_import(self, request, plan=None) -> bool:
        user = request.user
        if plan is not None and not self.has_change_permission(request, plan):
            return False
        return user.has_perm("catalog.add_service") and user.has_perm("catalog.change_service")

    @staticmethod
    def _may_create_plans(request) -> bool:
        return request.user.has_perm("catalog.add_plan")

    def _plan_or_404(self, request, plan_id):
        plan = self.get_queryset(request).filter(pk=plan_id).first()
        if plan is None:
            raise Http404
        return plan

    # views

    def import_view(self, request, plan_id):
        """Import into one plan: every row of the file goes into it."""
        plan = self._plan_or_404(request, plan_id)
        if not self._may_import(request, plan):
            raise PermissionDenied
        context = self._context(request, plan, _("서비스 가져오기: %(plan)s") % {"plan": plan})
        return self._flow(request, context, plan=plan)

    def catalog_import_view(self, request):
        """Import a file of many municipalities and plans, each row naming its own."""
        if not self._may_import(request):
            raise PermissionDenied
        context = self._context(request, None, _("서비스 가져오기(여러 자치단체·계획)"))
        return self._flow(request, context, plan=None)

    def _context(self, request, plan, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "plan": plan,
            "title": title,
            "template_url": reverse("admin:catalog_plan_import_template"),
            "again_url": request.path,
        }

    def _flow(self, request, context, *, plan):
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request, context, plan)
        may_create = plan is None and self._may_create_plans(request)
        form = UploadForm(request.POST or None, request.FILES or None, may_create_plans=may_create)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            return self._preview(
                request,
                context,
                plan,
                upload.name,
                upload.read(),
                create_plans=form.cleaned_data.get("create_plans", False),
            )
        return self._upload_page(request, context, form)

    def _upload_page(self, request, context, form):
        return TemplateResponse(
            request, "admin/catalog/plan/import_upload.html", {**context, "form": form}
        )

    def _prepare(self, request, plan, filename, data, create_plans, *, lookalikes=True):
        table = importing.read_table(data, filename)
        return importing.prepare(
            table,
            plan=plan,
            allowed_municipalities=editable_municipalities(request.user),
            create_plans=create_plans and self._may_create_plans(request),
            lookalikes=lookalikes,
        )

    def _preview(self, request, context, plan, filename, data, *, create_plans, token=None):
        try:
            preview = self._prepare(request, plan, filename, data, create_plans)
        except importing.ImportFileError as error:
            form = UploadForm(may_create_plans=plan is None and self._may_create_plans(request))
            form.errors["file"] = form.error_class([str(error)])
            return self._upload_page(request, context, form)
        if token is None and not preview.has_errors:
            token = staging.stage(
                request.user, filename, data, plan=plan, create_plans=create_plans
            )
        return TemplateResponse(
            request,
            "admin/catalog/plan/import_preview.html",
            {
                **context,
                "preview": preview,
                "shown_rows": (shown := preview.rows_to_show(PREVIEW_ROWS)),
                "hidden_rows": len(preview.rows) - len(shown),
                "token": token if not preview.has_errors else None,
                "create_plans": create_plans,
                # After an error, the corrected file goes up from the same page.
                "reupload_form": UploadForm(
                    initial={"create_plans": create_plans},
                    may_create_plans=plan is None and self._may_create_plans(request),
                )
                if preview.has_errors
                else None,
            },
        )

    def _confirm(self, request, context, plan):
        staged = staging.staged_upload(request.POST.get("token", ""), request.user, plan=plan)
        if staged is None:
            messages.error(
                request,
                _(
                    "올린 파일을 찾을 수 없습니다(시간이 지났거나 이미 가져왔습니다). 다시 올려 "
                    "주세요."
                ),
            )
            return HttpResponseRedirect(request.path)
        data = bytes(staged.content)
        try:
            preview = self._prepare(
                request, plan, staged.filename, data, staged.create_plans, lookalikes=False
            )
            if preview.has_errors:
                staging.discard(staged)
                return self._preview(
                    request,
                    context,
                    plan,
                    staged.filename,
                    data,
                    create_plans=staged.create_plans,
                    token="",
                )
            result = importing.apply(preview, user=request.user)
        except importing.ImportFileError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.path)
        except importing.ImportRefused as refused:
            for line in refused.lines:
                messages.error(request, line)
            return HttpResponseRedirect(request.path)
        staging.discard(staged)
        counts = result.counts
        messages.success(
            request,
            _(
                "가져왔습니다: 새 계획 %(plans)d개, 새 서비스 %(create)d개, 고침 %(update)d개, "
                "그대로 %(unchanged)d개. 새 서비스는 공개 전 초안입니다."
            )
            % {
                "plans": counts["plans"],
                "create": counts["create"],
                "update": counts["update"],
                "unchanged": counts["unchanged"],
            },
        )
        if plan is not None:
            return HttpResponseRedirect(reverse("admin:catalog_plan_change", args=[plan.pk]))
        return HttpResponseRedirect(
            reverse("admin:catalog_service_changelist") + "?is_published__exact=0"
        )

    def export_view(self, request, plan_id):
        plan = self._plan_or_404(request, plan_id)
        if not (
            self.has_view_permission(request, plan)
            and request.user.has_perm("catalog.view_service")
        ):
            raise PermissionDenied
        file_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
        return importing.plan_export_response(plan, file_format)

    def template_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        file_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
        return importing.template_response(file_format)
