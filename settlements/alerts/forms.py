from django import forms
from django.utils.translation import gettext_lazy as _

from settlements.alerts.models import Subscription
from settlements.models import AdminArea, AidRequest
from settlements.places import local_name


class AreaChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, area):
        return f"{local_name(area)} ({area.get_level_display()}, {area.pcode})"


class SubscriptionForm(forms.ModelForm):
    areas = AreaChoices(
        label=_("Areas"),
        queryset=AdminArea.objects.order_by("level", "name_en"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("None chosen: all of Syria. Hold Ctrl (or Cmd) to choose several."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        choices=AidRequest.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every category."),
    )

    class Meta:
        model = Subscription
        fields = ["areas", "categories", "jump_percent", "after_import", "every_morning", "weekly_report", "active"]
