"""Bulk entry in the admin: a changelist link to upload deliveries or pledges, a preview of every
row, and a confirmation that writes them all or none (`coordination.uploads`)."""

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from settlements.coordination import uploads


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or Excel file"))


class BulkUploadMixin:
    """For the deliveries' and pledges' admin: `upload/` and `upload/template.csv`."""

    upload = ""  # "deliveries" or "pledges"
    change_list_template = "admin/coordination/change_list.html"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name=f"{name}_upload"),
            path(
                "upload/template.csv", self.admin_site.admin_view(self.upload_template), name=f"{name}_upload_template"
            ),
            *super().get_urls(),
        ]

    def upload_template(self, request):
        response = HttpResponse(uploads.template_csv(self.upload), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="aidtrack-{self.upload}-template.csv"'
        return response

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request, request.POST["confirm"])
        form = UploadForm(request.POST or None, request.FILES or None)
        preview, token = None, None
        if form.is_valid():
            handed = form.cleaned_data["file"]
            if handed.size > settings.BULK_MAX_BYTES:
                form.add_error(
                    "file",
                    _("The file is larger than BULK_MAX_BYTES (%(limit)s bytes).")
                    % {"limit": f"{settings.BULK_MAX_BYTES:,}"},
                )
            else:
                content = handed.read()
                try:
                    preview = uploads.preview_upload(
                        upload=self.upload, content=content, name=handed.name, user=request.user
                    )
                except uploads.UploadError as error:
                    form.add_error("file", str(error))
                else:
                    token = self._keep(request, handed.name, content) if preview.ready else None
        return self._render(request, form, preview, token)

    def _keep(self, request, name: str, content: bytes) -> str | None:
        """Hold the file until staff confirm (the preview is rebuilt from it then)."""
        token = uuid.uuid4().hex
        held = {"user": request.user.pk, "upload": self.upload, "name": name, "content": content}
        try:
            cache.set(f"bulk-upload:{token}", held, settings.BULK_PREVIEW_MINUTES * 60)
        except Exception:  # Redis down: the preview still shows; confirming is not possible
            messages.error(request, _("The file could not be kept for confirmation (the cache is unreachable)."))
            return None
        return token

    def _confirm(self, request, token: str):
        key = f"bulk-upload:{token}"
        held = cache.get(key)
        if not held or held["user"] != request.user.pk or held["upload"] != self.upload:
            messages.error(request, _("This preview has expired. Upload the file again."))
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_upload"))
        preview = uploads.preview_upload(
            upload=self.upload, content=held["content"], name=held["name"], user=request.user
        )
        try:
            written = uploads.apply_upload(preview=preview, user=request.user)
        except ValidationError as error:
            # The records changed since the preview: show it again, as it is now.
            messages.error(request, " ".join(error.messages))
            return self._render(request, UploadForm(), preview, None)
        cache.delete(key)
        messages.success(
            request,
            _("%(count)s %(records)s written from %(name)s.")
            % {"count": written, "records": self.opts.verbose_name_plural, "name": held["name"]},
        )
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def _render(self, request, form, preview, token):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Upload %(records)s") % {"records": self.opts.verbose_name_plural},
            "form": form,
            "preview": preview,
            "token": token,
            "fields": uploads.FIELDS[self.upload],
            "required": uploads.REQUIRED[self.upload],
            "max_rows": settings.BULK_MAX_ROWS,
        }
        return TemplateResponse(request, "admin/coordination/upload.html", context)
