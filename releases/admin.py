"""Releases in the admin: the list (read-only, as releases are) and, for those who may add
releases (관리자), a page that makes one as ``manage.py make_release`` does."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from releases.building import ReleaseRefused, make_release
from releases.models import Release


class MakeReleaseForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("알림"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=gettext_lazy(
            "이 릴리스가 무엇인지(예: 2026년 상반기 계획 반영). /data/ 화면과 릴리스 안에 실립니다."
        ),
    )


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("version", "released_on", "service_count", "size_display", "notes", "made_by")
    readonly_fields = [field.name for field in Release._meta.fields]
    ordering = ("-created_at", "-id")

    @admin.display(description=gettext_lazy("공개 서비스"))
    def service_count(self, release):
        return release.counts.get("services")

    @admin.display(description=gettext_lazy("크기"))
    def size_display(self, release):
        return filesizeformat(release.size)

    # A release never changes and is never deleted: it may have been cited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.make_view)
        return [path("make/", view, name="releases_release_make"), *super().get_urls()]

    def make_view(self, request):
        if not request.user.has_perm("releases.add_release"):
            raise PermissionDenied
        form = MakeReleaseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                made = make_release(
                    notes=form.cleaned_data["notes"].strip(), made_by=request.user.get_username()
                )
            except ReleaseRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("릴리스 %(version)s을(를) 만들었습니다(%(size)s, SHA-256 %(checksum)s).")
                    % {
                        "version": made.version,
                        "size": filesizeformat(made.size),
                        "checksum": made.sha256,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:releases_release_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("새 릴리스 만들기"),
            "form": form,
        }
        return TemplateResponse(request, "admin/releases/release/make.html", context)
