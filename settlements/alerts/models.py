from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from settlements.models import AdminArea, AidRequest, ImportRun, Settlement


def default_jump_percent() -> int:
    return settings.ALERT_JUMP_PERCENT


class Subscription(models.Model):
    """What one user wants to hear about, and when."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="alert_subscription"
    )
    areas = models.ManyToManyField(
        AdminArea,
        verbose_name=_("areas"),
        blank=True,
        related_name="+",
        help_text=_("Governorates, districts or sub-districts; none means all of Syria."),
    )
    categories = ArrayField(
        models.CharField(max_length=16, choices=AidRequest.Category.choices),
        verbose_name=_("categories"),
        default=list,
        blank=True,
        help_text=_("For needs and requests; none means every category."),
    )
    jump_percent = models.PositiveSmallIntegerField(
        _("jump threshold (%)"),
        default=default_jump_percent,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("A figure that a list changes by this much or more is a jump."),
    )
    after_import = models.BooleanField(_("e-mail after each import"), default=True)
    every_morning = models.BooleanField(_("e-mail each morning"), default=True)
    weekly_report = models.BooleanField(
        _("weekly situation report"),
        default=False,
        help_text=_("Each Monday, last week's report of each area (PDF), by e-mail."),
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        permissions = [("receive_operator_alerts", "Receives failed and late imports")]

    def __str__(self):
        return str(self.user)


class Notice(models.Model):
    """One thing that changed for one user; mailed in a digest and listed in the app."""

    class Kind(models.TextChoices):
        IMPORT_FAILED = "import_failed", _("Imports that failed")
        LIST_LATE = "list_late", _("Lists that are late")
        ADDED = "added", _("Added to the list")
        DROPPED = "dropped", _("Dropped from the list")
        JUMPED = "jumped", _("Figures that jumped")
        UNCOVERED = "uncovered", _("Needs nobody covers, past their date")
        OVERDUE = "overdue", _("Requests overdue")

    # Failed and late imports go to operators whatever they subscribed to.
    OPERATOR_KINDS = (Kind.IMPORT_FAILED, Kind.LIST_LATE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=120, help_text=_("The event: one notice per user and event."))
    happened_on = models.DateField(_("date"))
    settlement = models.ForeignKey(
        Settlement, verbose_name=_("settlement"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    request = models.ForeignKey(
        AidRequest, verbose_name=_("aid request"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    import_run = models.ForeignKey(
        ImportRun, verbose_name=_("import run"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    field = models.CharField(_("field"), max_length=40, blank=True)
    old = models.CharField(_("old"), max_length=300, blank=True)
    new = models.CharField(_("new"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notice_one_per_user_and_event")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notice_user_newest"),
            models.Index(fields=["user"], condition=models.Q(emailed_at=None), name="notice_user_unsent"),
            models.Index(fields=["user"], condition=models.Q(read_at=None), name="notice_user_unread"),
        ]

    def __str__(self):
        return f"{self.user} {self.kind} {self.key}"
