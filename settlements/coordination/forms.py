"""Admin forms that keep each organisation's records to its members (settlements.rights): a change
the user may not make is a form error on the organisation field, not a refused page."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet

from settlements import rights


def with_rights(form_class, user):
    """`form_class`, refusing (as a form error) a record `user` may not save."""

    class RightsForm(form_class):
        def _post_clean(self):
            super()._post_clean()  # the instance now holds the submitted values
            if self.instance.pk and not self.has_changed():
                return  # an inline row left as it was is not being edited
            try:
                rights.check(user, "change" if self.instance.pk else "add", self.instance)
            except PermissionDenied as denial:
                field = rights.owner_field(self.instance)
                self.add_error(field if field in self.fields else None, str(denial))

    RightsForm.__name__ = form_class.__name__
    return RightsForm


class RightsFormSet(BaseInlineFormSet):
    """Inline rows marked for deletion are checked too (Django skips their validation)."""

    user = None

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if form.instance.pk:
                try:
                    rights.check(self.user, "delete", form.instance)
                except PermissionDenied as denial:
                    raise ValidationError(str(denial)) from None


class RightsInlineMixin:
    """For inlines: every row saved or deleted is one the user may change."""

    formset = RightsFormSet

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        attributes = {"user": request.user, "form": with_rights(formset.form, request.user)}
        return type(formset.__name__, (formset,), attributes)
