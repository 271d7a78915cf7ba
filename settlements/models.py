"""The humanitarian picture: where people are, what they need, and what has reached them."""

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import RegexValidator
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from settlements.matching import name_keys

# A tolerant box around Syria: the gazetteer has real points just outside the simplified outline.
QUANTITY_OUTPUT = models.DecimalField(max_digits=14, decimal_places=2)
SYRIA_EXTENT = {"lat": (32.3, 37.4), "lon": (35.7, 42.4)}


def format_quantity(value: Decimal) -> str:
    """1234.50 -> '1,234.5' in English, '1 234,5' in Russian: grouped, no trailing zeros, no exponent."""
    return number_format(value.normalize(), force_grouping=True)


# OCHA P-codes (SY02, SY0200, C1234): letters, digits and hyphens, nothing a URL would split on.
PCODE_PATTERN = r"[A-Za-z0-9-]+"
validate_pcode = RegexValidator(
    rf"\A{PCODE_PATTERN}\Z",
    _("A P-code holds only letters, digits and hyphens (no spaces or slashes)."),
    code="invalid_pcode",
)


def pcode_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(pcode__regex=rf"^{PCODE_PATTERN}$"), name=name)


def check_in_request_unit(record, message) -> None:
    """A delivery or pledge is counted in its request's unit; `message` names both units."""
    if record.request_id and record.unit and record.unit != record.request.unit:
        given = record.get_unit_display()
        raise ValidationError({"unit": message % {"expected": record.request.get_unit_display(), "given": given}})


def validate_positive(value):
    if value is not None and value <= 0:
        raise ValidationError(_("Enter a quantity above zero."), code="not_positive")


def validate_in_syria(point):
    lat_min, lat_max = SYRIA_EXTENT["lat"]
    lon_min, lon_max = SYRIA_EXTENT["lon"]
    if point is None:
        return
    if not (lat_min <= point.y <= lat_max and lon_min <= point.x <= lon_max):
        raise ValidationError(
            _(
                "The location %(lat).4f, %(lon).4f is outside Syria "
                "(latitude %(lat_min)s to %(lat_max)s, longitude %(lon_min)s to %(lon_max)s)."
            ),
            code="outside_syria",
            params={
                "lat": point.y,
                "lon": point.x,
                "lat_min": lat_min,
                "lat_max": lat_max,
                "lon_min": lon_min,
                "lon_max": lon_max,
            },
        )


class AdminArea(models.Model):
    """An OCHA administrative area: governorate (admin1), district (admin2) or sub-district (admin3)."""

    class Level(models.IntegerChoices):
        GOVERNORATE = 1, _("governorate")
        DISTRICT = 2, _("district")
        SUB_DISTRICT = 3, _("sub-district")

    pcode = models.CharField(_("P-code"), max_length=10, unique=True, validators=[validate_pcode])
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_ar = models.CharField(_("name (Arabic)"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    aliases = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    centroid = models.PointField(_("centroid"), srid=4326, null=True, blank=True)
    boundary = models.MultiPolygonField(
        _("boundary"), srid=4326, null=True, blank=True, help_text=_("Simplified outline.")
    )
    boundary_is_approximate = models.BooleanField(
        _("approximate boundary"),
        default=False,
        help_text=_("Drawn by AidTrack from the area's communities: no official outline is available offline."),
    )

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["pcode"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="adminarea_parent_matches_level",
            ),
            pcode_constraint("adminarea_pcode_letters_digits_hyphens"),
        ]

    def __str__(self):
        return f"{self.name_en} ({self.pcode})"


class Settlement(models.Model):
    """A community (OCHA admin4) from the gazetteer, with what the daily lists say about it."""

    class Supply(models.TextChoices):
        """Water or electricity, as the lists describe their restoration."""

        NONE = "none", _("none")
        PARTIAL = "partial", _("partial")
        RESTORED = "restored", _("restored")

    class Demining(models.TextChoices):
        NOT_CLEARED = "not_cleared", _("not cleared")
        PARTLY_CLEARED = "partly_cleared", _("partly cleared")
        CLEARED = "cleared", _("cleared")
        UNKNOWN = "unknown", _("unknown")

    pcode = models.CharField(_("P-code"), max_length=16, unique=True, validators=[validate_pcode])
    name_en = models.CharField(_("name (English)"), max_length=150)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150, blank=True)
    location = models.PointField(_("location"), srid=4326, validators=[validate_in_syria])
    governorate = models.ForeignKey(
        AdminArea,
        verbose_name=_("governorate"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": AdminArea.Level.GOVERNORATE},
    )
    district = models.ForeignKey(
        AdminArea,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": AdminArea.Level.DISTRICT},
    )
    sub_district = models.ForeignKey(
        AdminArea,
        verbose_name=_("sub-district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": AdminArea.Level.SUB_DISTRICT},
    )
    capital_level = models.PositiveSmallIntegerField(
        _("capital level"),
        null=True,
        blank=True,
        help_text=_("1 for a governorate capital, 2 district, 3 sub-district."),
    )

    population = models.PositiveIntegerField(_("population estimate"), null=True, blank=True)
    returnees = models.PositiveIntegerField(_("returnees"), null=True, blank=True)
    houses_destroyed = models.PositiveIntegerField(_("houses destroyed"), null=True, blank=True)
    schools_destroyed = models.PositiveIntegerField(_("schools destroyed"), null=True, blank=True)
    hospitals_destroyed = models.PositiveIntegerField(_("hospitals destroyed"), null=True, blank=True)
    water_supply = models.CharField(_("water supply"), max_length=10, choices=Supply.choices, blank=True)
    electricity_supply = models.CharField(_("electricity"), max_length=10, choices=Supply.choices, blank=True)
    demining = models.CharField(_("demining"), max_length=16, choices=Demining.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    # Not indexed: a daily import flips it on thousands of rows, and an index on it would turn every
    # such update into a write to each of the table's indexes. A scan of it is quick at 100,000 rows.
    on_latest_list = models.BooleanField(_("on the latest daily list"), default=False)
    first_listed = models.DateField(_("first listed"), null=True, blank=True)
    last_listed = models.DateField(_("last listed"), null=True, blank=True)
    last_confirmed = models.DateField(
        _("last confirmed"),
        null=True,
        blank=True,
        help_text=_("The last day a source confirmed these figures."),
    )
    unverified = models.BooleanField(
        _("unverified"),
        default=False,
        help_text=_("Created by an import from a P-code the gazetteer does not know; check it."),
    )
    # The names reduced for matching (settlements.matching.name_keys), kept so an import looks
    # names up in an index instead of normalising every settlement's name each time.
    name_keys = ArrayField(models.CharField(max_length=150), default=list, blank=True, editable=False)

    LIST_FIGURES = ["population", "returnees", "houses_destroyed", "schools_destroyed", "hospitals_destroyed"]
    LIST_FIGURES += ["water_supply", "electricity_supply", "demining"]
    # The restoration picture: field -> its values from worst to best ("unknown" last, apart).
    RESTORATION = {
        "water_supply": [Supply.NONE, Supply.PARTIAL, Supply.RESTORED],
        "electricity_supply": [Supply.NONE, Supply.PARTIAL, Supply.RESTORED],
        "demining": [Demining.NOT_CLEARED, Demining.PARTLY_CLEARED, Demining.CLEARED, Demining.UNKNOWN],
    }

    # Staff edits, each with its editor. Imports write settlements in bulk SQL and leave their own,
    # finer record instead: every list's row per settlement (ListEntry) and what changed (ListChange).
    history = HistoricalRecords(excluded_fields=["name_keys"])

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["name_en"]
        indexes = [
            GinIndex(fields=["name_en"], name="settlement_name_en_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["name_keys"], name="settlement_name_keys"),
        ]
        constraints = [pcode_constraint("settlement_pcode_letters_digits_hyphens")]

    def __str__(self):
        return f"{self.name_en} ({self.pcode})"

    def save(self, *args, **kwargs):
        self.refresh_name_keys()
        super().save(*args, **kwargs)

    def refresh_name_keys(self) -> None:
        self.name_keys = sorted(name_keys(self.name_en) | name_keys(self.name_ar))


class SettlementAlias(models.Model):
    """Another name of a settlement: a spelling, a transliteration, a name in another script."""

    class Source(models.TextChoices):
        GAZETTEER = "gazetteer", _("gazetteer")
        STAFF = "staff", _("staff decision")

    settlement = models.ForeignKey(
        Settlement, verbose_name=_("settlement"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("name"), max_length=150)
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("ISO 639-1 code: en, ar, ru, ..."))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.STAFF)
    keys = ArrayField(models.CharField(max_length=150), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("settlement alias")
        verbose_name_plural = _("settlement aliases")
        constraints = [models.UniqueConstraint(fields=["settlement", "name"], name="settlement_alias_unique")]
        indexes = [GinIndex(fields=["keys"], name="settlement_alias_keys")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.keys = sorted(name_keys(self.name))
        super().save(*args, **kwargs)


class Organization(models.Model):
    class Kind(models.TextChoices):
        UN_AGENCY = "un", _("UN agency")
        INGO = "ingo", _("international NGO")
        NGO = "ngo", _("national NGO")
        RED_CROSS = "rcrc", _("Red Cross / Red Crescent")
        GOVERNMENT = "gov", _("government")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.OTHER)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        related_name="organizations",
        blank=True,
        help_text=_("Staff who enter and change this organisation's requests, pledges and deliveries."),
    )

    history = HistoricalRecords()  # membership changes are in the admin log, with who made them

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        permissions = [("edit_every_organization", "Can change every organisation's records and memberships")]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class Camp(models.Model):
    """A site where displaced people live: Rukban near Al Tanf, Akerbat in Hama."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    name_en = models.CharField(_("name (English)"), max_length=150)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150, blank=True)
    location = models.PointField(_("location"), srid=4326, validators=[validate_in_syria])
    governorate = models.ForeignKey(
        AdminArea,
        verbose_name=_("governorate"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": AdminArea.Level.GOVERNORATE},
    )
    near_settlement = models.ForeignKey(
        Settlement,
        verbose_name=_("near settlement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nearby_camps",
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_is_estimate = models.BooleanField(_("population is an estimate"), default=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    managing_organization = models.ForeignKey(
        Organization,
        verbose_name=_("managing organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_camps",
    )
    access_constraints = models.TextField(_("access constraints"), blank=True)
    last_assessed = models.DateField(_("last assessed"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("camp")
        verbose_name_plural = _("camps")
        ordering = ["name_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0), name="camp_capacity_positive"
            )
        ]

    def __str__(self):
        return self.name_en


def _row_per_request(related_name: str) -> models.OneToOneField:
    """A progress view's key: its aid request, one row each (a view holds no constraint)."""
    return models.OneToOneField(
        "AidRequest",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_column="request_id",
        db_constraint=False,
        related_name=related_name,
    )


class _Progress(models.Model):
    delivered = models.DecimalField(max_digits=14, decimal_places=2)
    gap = models.DecimalField(max_digits=14, decimal_places=2)
    pledged = models.DecimalField(max_digits=14, decimal_places=2)
    uncovered = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        abstract = True


class RequestProgress(_Progress):
    """The one definition of a request's progress: a database view (migration 0028) with a row per
    aid request, computed from its deliveries and open pledges:

    - `delivered`: the sum of its deliveries;
    - `gap`: what is still missing (quantity - delivered, not below zero);
    - `pledged`: what open pledges still promise: their quantities less what was delivered
      against them (an open pledge has had less delivered than it promised);
    - `uncovered`: what nobody has delivered or promised (quantity - delivered - pledged, not below zero).

    A view rather than subqueries in each query: a subquery is computed again wherever a figure
    is used, and the four figures used seven (1.7 s for each per million requests); the view's
    lateral joins read the deliveries and pledges once per request.
    """

    request = _row_per_request("progress")

    class Meta:
        managed = False
        db_table = "settlements_requestprogress"


class RequestProgressInBulk(_Progress):
    """The same figures as RequestProgress, from the same definition (migration 0028), gathered for
    reads of many requests at once: the deliveries and open pledges summed per request in one pass
    each, rather than looked up request by request. Faster over a whole table (a million-request
    export), slower for a few requests, which would still sum every delivery."""

    request = _row_per_request("progress_in_bulk")

    class Meta:
        managed = False
        db_table = "settlements_requestprogress_bulk"


PROGRESS = ("delivered", "gap", "pledged", "uncovered")


class AidRequestQuerySet(models.QuerySet):
    def with_progress(self, *, in_bulk: bool = False):
        """Each request's `delivered`, `gap`, `pledged` and `uncovered`, as RequestProgress defines them;
        `in_bulk` for reads of (nearly) every request, such as a whole table's export
        (RequestProgressInBulk)."""
        relation = "progress_in_bulk" if in_bulk else "progress"
        return self.annotate(**{name: F(f"{relation}__{name}") for name in PROGRESS})

    def progress_by(self, *fields: str):
        """The requests' progress summed per value of `fields` (unit among them: quantities of
        different units never add up): count, then requested_sum, delivered_sum, gap_sum,
        pledged_sum and uncovered_sum, each the `with_progress` figure summed."""
        return (
            self.with_progress()
            .order_by()
            .values(*fields)
            .annotate(
                count=models.Count("pk"),
                requested_sum=Sum("quantity"),
                delivered_sum=Sum("delivered"),
                gap_sum=Sum("gap"),
                pledged_sum=Sum("pledged"),
                uncovered_sum=Sum("uncovered"),
            )
        )

    def progress_totals(self) -> dict[str, Decimal]:
        """Requested, delivered, gap, pledged and uncovered summed over these requests; filter to one unit first.

        Grouped by unit rather than aggregated, so PostgreSQL sums the delivered subquery in place.
        """
        per_unit = self.progress_by("unit")
        totals = dict.fromkeys(("requested", "delivered", "gap", "pledged", "uncovered"), Decimal(0))
        for row in per_unit:
            for name in totals:
                totals[name] += row[f"{name}_sum"]
        return totals


class AidRequest(models.Model):
    class Category(models.TextChoices):
        FOOD = "food", _("food")
        MEDICINE = "medicine", _("medicine")
        WATER = "water", _("water")
        SHELTER = "shelter", _("shelter")
        NON_FOOD_ITEMS = "nfi", _("non-food items")
        HEALTH = "health", _("health")
        EDUCATION = "education", _("education")
        HOUSING_RESTORATION = "housing", _("housing restoration")
        SCHOOL_RESTORATION = "schools", _("school restoration")
        HOSPITAL_RESTORATION = "hospitals", _("hospital restoration")
        INFRASTRUCTURE = "infrastructure", _("infrastructure")
        DEMINING = "demining", _("demining")
        OTHER = "other", _("other")

    class Unit(models.TextChoices):
        TONNES = "t", _("tonnes")
        KITS = "kits", _("kits")
        PEOPLE = "people", _("people")
        HOUSEHOLDS = "households", _("households")
        BUILDINGS = "buildings", _("buildings")
        UNITS = "units", _("units")

    class Priority(models.IntegerChoices):
        LOW = 1, _("low")
        MEDIUM = 2, _("medium")
        HIGH = 3, _("high")
        CRITICAL = 4, _("critical")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PARTIALLY_MET = "partial", _("partially met")
        MET = "met", _("met")
        CANCELLED = "cancelled", _("cancelled")

    # Needs still waiting for (more) aid.
    OPEN_STATUSES = (Status.OPEN, Status.PARTIALLY_MET)

    class Source(models.TextChoices):
        MANUAL = "manual", _("entered by staff")
        DAILY_LIST = "daily_list", _("daily list")

    settlement = models.ForeignKey(
        Settlement,
        verbose_name=_("settlement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aid_requests",
    )
    # Most requests are for settlements: the camp and organisation indexes (Meta) skip the empty ones.
    camp = models.ForeignKey(
        Camp,
        verbose_name=_("camp"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aid_requests",
        db_index=False,
    )
    location = models.PointField(
        _("location"),
        srid=4326,
        null=True,
        blank=True,
        validators=[validate_in_syria],
        help_text=_("Where exactly the need is, if not at the settlement's or camp's own point."),
        spatial_index=False,  # a partial index below: most requests have no point of their own
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, validators=[validate_positive])
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    status_set_by_staff = models.BooleanField(
        _("status set by staff"),
        default=False,
        help_text=_("Staff set the status by hand; deliveries no longer change it until it is reopened."),
    )
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    requesting_organization = models.ForeignKey(
        Organization,
        verbose_name=_("requesting organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="aid_requests",
        db_index=False,
    )
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.MANUAL)
    # A provenance pointer kept by the import (Django sets it to NULL when a snapshot is replaced);
    # no database constraint, which would cost a check per request at the end of every import.
    list_snapshot = models.ForeignKey(
        "ListSnapshot",
        verbose_name=_("list snapshot"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="aid_requests",
        editable=False,
        db_constraint=False,
        db_index=False,  # only read when a day's list is replaced, which a scan serves
        help_text=_("The daily list that last stated this need."),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Not indexed: nothing looks requests up by their author, and a daily list adds thousands at once.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )

    history = HistoricalRecords()
    objects = AidRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("aid request")
        verbose_name_plural = _("aid requests")
        ordering = ["-priority", "needed_by", "id"]
        indexes = [
            # The requests table's default order: its first page and page 2,000 read this index.
            models.Index(fields=["-priority", "needed_by", "id"], name="aidrequest_table_order"),
            models.Index(fields=["camp"], condition=Q(camp__isnull=False), name="aidrequest_camp"),
            # Status is filtered by equality only: no pattern index beside it (a daily list writes
            # 200,000 requests into every index here).
            models.Index(fields=["status"], name="aidrequest_status"),
            # The map's colour of each settlement and camp, its most urgent open need, read from the index
            # alone (OPEN_STATUSES: a test holds the two together).
            models.Index(
                fields=["settlement", "priority"],
                condition=Q(status__in=["open", "partial"], settlement__isnull=False),
                name="aidrequest_open_settlement",
            ),
            models.Index(
                fields=["camp", "priority"],
                condition=Q(status__in=["open", "partial"], camp__isnull=False),
                name="aidrequest_open_camp",
            ),
            # Only camp and settlement requests staff place have a point; list requests have none. As an
            # expression, because PostGIS's schema editor drops the condition of an index on a geometry field.
            GistIndex(F("location"), condition=Q(location__isnull=False), name="aidrequest_location"),
            models.Index(
                fields=["requesting_organization"],
                condition=Q(requesting_organization__isnull=False),
                name="aidrequest_requester",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(settlement__isnull=False, camp__isnull=True) | Q(settlement__isnull=True, camp__isnull=False)
                ),
                name="aidrequest_exactly_one_target",
                violation_error_message=_("An aid request is for exactly one settlement or one camp."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="aidrequest_quantity_positive",
                violation_error_message=_("The requested quantity must be more than zero."),
            ),
            # The daily lists state one need per settlement and category; the import updates that one.
            models.UniqueConstraint(
                fields=["settlement", "category"],
                condition=Q(source="daily_list"),
                name="aidrequest_one_list_need_per_category",
                violation_error_message=_("The daily lists already state this need for this settlement."),
            ),
        ]

    def __str__(self):
        amount = f"{format_quantity(self.quantity)} {self.get_unit_display()}"
        return _("%(category)s %(amount)s for %(target)s") % {
            "category": self.get_category_display(),
            "amount": amount,
            "target": self.target,
        }

    @property
    def target(self):
        return self.settlement or self.camp

    def clean(self):
        super().clean()
        if self.pk and self.unit:
            counted_in = set(self.deliveries.exclude(unit=self.unit).values_list("unit", flat=True))
            if counted_in:
                units = ", ".join(sorted(str(self.Unit(u).label) for u in counted_in))
                raise ValidationError(
                    {
                        "unit": _("Deliveries against this request are counted in %(units)s; the unit cannot change.")
                        % {"units": units}
                    }
                )


class Delivery(models.Model):
    request = models.ForeignKey(
        AidRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="deliveries"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, validators=[validate_positive])
    unit = models.CharField(_("unit"), max_length=12, choices=AidRequest.Unit.choices)
    delivered_on = models.DateField(_("delivered on"))
    delivering_organization = models.ForeignKey(
        Organization,
        verbose_name=_("delivering organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    # The pledge this delivery fulfils, if any: recording it moves the pledge on.
    pledge = models.ForeignKey(
        "settlements.Pledge",
        verbose_name=_("pledge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="delivery_quantity_positive",
                violation_error_message=_("The delivered quantity must be more than zero."),
            )
        ]

    def __str__(self):
        return _("%(amount)s %(unit)s on %(date)s") % {
            "amount": format_quantity(self.quantity),
            "unit": self.get_unit_display(),
            "date": date_format(self.delivered_on),
        }

    def clean(self):
        super().clean()
        if self.pledge_id and self.request_id and self.pledge.request_id != self.request_id:
            raise ValidationError({"pledge": _("This pledge answers another request.")})
        if self.pledge_id and not self.delivering_organization_id:
            self.delivering_organization_id = self.pledge.organization_id
        check_in_request_unit(self, _("Deliveries are counted in the request's unit (%(expected)s), not %(given)s."))


class ImportRun(models.Model):
    """One attempt to import a daily list: what was read, what came of it, and why it failed if it did."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        UNCHANGED = "unchanged", _("unchanged")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        COMMAND = "command", _("command line")
        STAFF = "staff", _("staff (Import now)")
        UPLOAD = "upload", _("staff (upload)")

    source = models.CharField(_("read from"), max_length=500, help_text=_("The file or URL the list was read from."))
    list_source = models.ForeignKey(
        "settlements.ListSource",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runs",
    )
    format = models.CharField(_("format"), max_length=10, blank=True)
    list_date = models.DateField(_("list date"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.COMMAND)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("triggered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched"), default=0)
    errors = models.PositiveIntegerField(_("row errors"), default=0)
    warnings = models.PositiveIntegerField(
        _("warnings"), default=0, help_text=_("Rows imported with a value that was not understood.")
    )
    conflicts = models.PositiveIntegerField(
        _("conflicts"), default=0, help_text=_("List values held back because staff corrected the figure.")
    )
    row_errors = models.JSONField(
        _("row errors"),
        default=list,
        blank=True,
        help_text=_("[{row, message}] for the first skipped rows; every row is on the list's entries."),
    )
    row_warnings = models.JSONField(
        _("row warnings"), default=list, blank=True, help_text=_("[{row, message}] for the first rows with warnings.")
    )
    dropped_columns = models.JSONField(
        _("columns dropped"),
        default=list,
        blank=True,
        help_text=_("Columns that looked like personal data and were not stored."),
    )
    task_id = models.CharField(_("task"), max_length=64, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True, help_text=_("Why the whole import failed."))

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        permissions = [("run_import", "Can start an import of the daily list")]

    def __str__(self):
        return f"{self.list_date or '?'} {self.get_status_display()} ({self.source})"

    COUNTS = ["rows", "matched", "created", "updated", "unchanged", "removed", "unmatched", "errors"]
    COUNTS += ["warnings", "conflicts"]

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTS}


class ListSnapshot(models.Model):
    """What one source's list of one day said: one entry per row. Re-importing that source's list
    of that date replaces its snapshot."""

    list_source = models.ForeignKey(
        "settlements.ListSource", verbose_name=_("source"), on_delete=models.PROTECT, related_name="snapshots"
    )
    list_date = models.DateField(_("list date"))
    import_run = models.ForeignKey(
        ImportRun, verbose_name=_("import run"), on_delete=models.PROTECT, related_name="snapshots"
    )
    source = models.CharField(_("source"), max_length=500)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    columns = models.JSONField(_("columns"), default=list, help_text=_("The list's own headers, in order."))

    class Meta:
        verbose_name = _("daily list")
        verbose_name_plural = _("daily lists")
        ordering = ["-list_date", "list_source"]
        get_latest_by = "list_date"
        constraints = [models.UniqueConstraint(fields=["list_source", "list_date"], name="one_list_per_source_and_day")]

    def __str__(self):
        return _("daily list of %(date)s") % {"date": date_format(self.list_date)}


class ListEntry(models.Model):
    """One row of a daily list: the source's words, the parsed values and the settlement it means."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("matched")
        CREATED = "created", _("created a settlement")
        REVIEW = "review", _("needs review")
        ERROR = "error", _("row error")

    class Method(models.TextChoices):
        PCODE = "pcode", _("P-code")
        NAME = "name", _("name")
        ALIAS = "alias", _("alias")
        FUZZY = "fuzzy", _("close spelling")
        CREATED = "created", _("new settlement")
        STAFF = "staff", _("staff decision")
        REVIEW = "review", _("waiting for review")

    # Indexes: (snapshot, row) and (settlement, snapshot) serve every lookup, so the foreign keys
    # go without their own; a daily list writes a row here per settlement. Nor do they carry database
    # constraints: checking 200,000 references one by one at commit took a third of a 100,000-row
    # import. Only the import writes entries, in the transaction that read or created what they point
    # at; settlements are never deleted (PROTECT, and no role may), and a snapshot's entries go with it
    # through Django's CASCADE.
    snapshot = models.ForeignKey(
        ListSnapshot,
        verbose_name=_("snapshot"),
        on_delete=models.CASCADE,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    row = models.PositiveIntegerField(
        _("row"),
        help_text=_("The row's place in the source: CSV line (the header is 1), sheet or Word table row, JSON item."),
    )
    settlement = models.ForeignKey(
        Settlement,
        verbose_name=_("settlement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="list_entries",
        db_index=False,
        db_constraint=False,
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    method = models.CharField(_("matched by"), max_length=8, choices=Method.choices, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    name = models.CharField(
        _("name"), max_length=300, blank=True, help_text=_("The settlement's name as the list wrote it.")
    )
    pcode = models.CharField(_("P-code"), max_length=32, blank=True)
    governorate = models.ForeignKey(
        AdminArea,
        verbose_name=_("governorate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text=_("The governorate the row named, as matching understood it."),
    )
    raw = models.JSONField(_("raw"), help_text=_("The row exactly as the source gave it, by header."))
    values = models.JSONField(_("values"), default=dict, help_text=_("The parsed figures."))
    message = models.TextField(_("message"), blank=True)
    warnings = models.JSONField(
        _("warnings"), default=list, blank=True, help_text=_("Values that were not understood.")
    )
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["snapshot", "row"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "row"], name="list_entry_row_unique")]
        indexes = [
            models.Index(fields=["settlement", "snapshot"], name="list_entry_settlement"),
            # The review queue, waiting and resolved: a handful of rows among a daily 100,000.
            models.Index(
                fields=["outcome"],
                condition=Q(outcome="review") | Q(resolved_at__isnull=False),
                name="list_entry_review",
            ),
        ]

    def __str__(self):
        return _("row %(row)s: %(name)s") % {"row": self.row, "name": self.name or self.pcode}


class ReviewItem(ListEntry):
    """A list row nobody could match for sure, waiting for staff to decide."""

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        proxy = True


class ListChange(models.Model):
    """One difference between a day's list and the list before it."""

    class Kind(models.TextChoices):
        ADDED = "added", _("added")
        REMOVED = "removed", _("removed")
        CHANGED = "changed", _("changed")

    snapshot = models.ForeignKey(
        ListSnapshot, verbose_name=_("snapshot"), on_delete=models.CASCADE, related_name="changes"
    )
    settlement = models.ForeignKey(
        Settlement, verbose_name=_("settlement"), on_delete=models.PROTECT, related_name="list_changes"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    field = models.CharField(_("field"), max_length=40, blank=True)
    old = models.CharField(_("old"), max_length=300, blank=True)
    new = models.CharField(_("new"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("list change")
        verbose_name_plural = _("list changes")
        ordering = ["snapshot", "kind", "settlement_id", "field"]

    # Figures a list states that are not settlement fields: the needs that become aid requests.
    NEED_LABELS = {"food_t": _("food (t)"), "medicine_t": _("medicine (t)")}

    def __str__(self):
        return f"{self.get_kind_display()} {self.settlement_id} {self.field}".strip()

    @property
    def field_label(self) -> str:
        """The changed figure as the interface names it: 'population estimate', not 'population'."""
        if not self.field:
            return ""
        if self.field in self.NEED_LABELS:
            return self.NEED_LABELS[self.field]
        try:
            return Settlement._meta.get_field(self.field).verbose_name
        except FieldDoesNotExist:
            return self.field


class UserPreference(models.Model):
    """What a user chose for themselves: the interface language, on any browser they sign in from."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self):
        return f"{self.user} ({self.language or '-'})"


# Models of the settlements app that live in their own subpackages.
from settlements.alerts.models import Notice, Subscription  # noqa: E402, F401
from settlements.coordination.models import Pledge  # noqa: E402, F401
from settlements.corrections.models import FigureConflict, FigureCorrection  # noqa: E402, F401
from settlements.exports.models import ExportJob  # noqa: E402, F401
from settlements.sources.models import ListSource, SourceDisagreement  # noqa: E402, F401
