from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from settlements.models import ListSource


class NewImportForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Source"),
        queryset=ListSource.objects.all(),
        empty_label=None,
        help_text=_("Whose list this is: its saved column mapping is used, and its latest list is this one."),
    )
    file = forms.FileField(label=_("File"), required=False, help_text=_("CSV, HXL, Excel (XLSX), Word (DOCX) or JSON."))
    url = forms.URLField(
        label=_("or the list's URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Only on the host the source publishes from."),
    )
    list_date = forms.DateField(
        label=_("List date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the date in the list or its file name, else today."),
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("url")):
            raise forms.ValidationError(_("Give a file or a URL (one of them)."))
        handed = data.get("file")
        if handed and handed.size > settings.IMPORT_MAX_BYTES:
            self.add_error(
                "file",
                _("The file is larger than the %(limit)s MB limit (IMPORT_MAX_BYTES).")
                % {"limit": f"{settings.IMPORT_MAX_BYTES / 1_000_000:g}"},
            )
        return data
