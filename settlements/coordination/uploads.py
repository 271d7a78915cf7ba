"""Bulk entry: deliveries or pledges from a CSV or XLSX file, previewed, then all written or none.

The file is read by the daily list's reader (`importing.readers.read_table`: the same size caps,
formats and physical row numbers, so "row 7" is line 7 of the CSV or row 7 of the sheet). Headers
are matched through `data/vocabulary/coordination.csv` (English, Russian, Arabic, HXL). Every row
is checked as the admin would check it (the models' validation and `settlements.rights`) before
anything is written; the preview shows each row's errors and warnings. Confirming checks the file
again and writes every row through `services.add_records` in one transaction, so one refused row
writes nothing.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from settlements import rights, services
from settlements.coordination.models import Pledge
from settlements.importing.columns import clean_text, parse_number
from settlements.importing.readers import Layout, ListFormatError, read_table
from settlements.importing.vocabulary import hxl_key, term_key, upload_terms
from settlements.models import AidRequest, Delivery, Organization

MODELS = {"deliveries": Delivery, "pledges": Pledge}
FIELDS = {
    "deliveries": ["request", "quantity", "unit", "delivered_on", "organization", "pledge", "notes"],
    "pledges": ["request", "quantity", "unit", "expected_on", "organization", "status", "notes"],
}
REQUIRED = {"deliveries": ["request", "quantity", "delivered_on"], "pledges": ["request", "quantity"]}
DAY_FIRST = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


class UploadError(ValueError):
    """The file as a whole cannot be taken (its format, its columns, its size)."""


@dataclass
class UploadRow:
    number: int  # the physical row in the file
    values: dict[str, str]  # field -> the cell as written
    record: Delivery | Pledge | None = None  # built and validated, not saved
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Preview:
    upload: str
    name: str
    columns: list[tuple[str, str | None]]  # (header, the field it fills or None: ignored)
    rows: list[UploadRow]

    @property
    def error_rows(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def ready(self) -> bool:
        """Every row can be written: confirming writes them all."""
        return bool(self.rows) and not self.error_rows


def column_fields(upload: str, headers: list[str], hxl_tags: list[str] | None = None) -> dict[int, str]:
    """Column index -> field, from the headers (or the HXL hashtag row); first column wins a field."""
    by_header, by_tag = upload_terms(upload)
    mapping = {}
    for index, header in enumerate(headers):
        tag = hxl_tags[index] if hxl_tags and index < len(hxl_tags) else ""
        found = by_tag.get(hxl_key(tag)) or by_header.get(term_key(header))
        if found and found not in mapping.values():
            mapping[index] = found
    return mapping


def layout(upload: str) -> Layout:
    required = set(REQUIRED[upload])
    return Layout(
        lambda cells: required <= set(column_fields(upload, [str(c or "") for c in cells]).values()),
        names=", ".join(REQUIRED[upload]),
    )


def preview_upload(*, upload: str, content: bytes, name: str, user) -> Preview:
    """Read and check every row of `content`; nothing is written. UploadError if the file as a
    whole cannot be taken."""
    if len(content) > settings.BULK_MAX_BYTES:
        raise UploadError(
            _("The file is %(size)s bytes; bulk entry takes at most %(limit)s (BULK_MAX_BYTES).")
            % {"size": f"{len(content):,}", "limit": f"{settings.BULK_MAX_BYTES:,}"}
        )
    try:
        table = read_table(content, name, layout(upload))
    except ListFormatError as error:
        raise UploadError(str(error)) from None
    mapping = column_fields(upload, table.headers, table.hxl_tags)
    missing = [f for f in REQUIRED[upload] if f not in mapping.values()]
    if missing:
        raise UploadError(
            _("The file has no column for %(missing)s. Its columns are: %(headers)s.")
            % {"missing": ", ".join(missing), "headers": ", ".join(table.headers)}
        )
    if len(table.rows) > settings.BULK_MAX_ROWS:
        raise UploadError(
            _("The file has %(rows)s rows; bulk entry takes at most %(limit)s (BULK_MAX_ROWS). Split it.")
            % {"rows": f"{len(table.rows):,}", "limit": f"{settings.BULK_MAX_ROWS:,}"}
        )
    rows = []
    for number, cells, problem in table.numbered_rows():
        values = {f: _cell_text(cells[i]) if i < len(cells) else "" for i, f in mapping.items()}
        raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
        rows.append((UploadRow(number, values, errors=[problem] if problem else []), raw))
    checker = RowChecker(upload, user, [raw for _, raw in rows], table.decimal_comma)
    for row, raw in rows:
        if not row.errors:
            checker.check(row, raw)
    checker.flag_repeats([row for row, _ in rows])
    columns = [(header, mapping.get(index)) for index, header in enumerate(table.headers)]
    return Preview(upload, name, columns, [row for row, _ in rows])


def apply_upload(*, preview: Preview, user) -> int:
    """Write every row of a ready preview (checked a moment ago), or none; returns how many were written."""
    if not preview.ready:
        raise ValidationError(_("Some rows have errors: nothing was written."))
    services.add_records(objs=[row.record for row in preview.rows], user=user)
    return len(preview.rows)


def _cell_text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime.datetime):
        return cell.date().isoformat()
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return clean_text(str(cell)).strip()


class RowChecker:
    """Checks rows against the database, read once for the whole file (requests, pledges and
    organisations in bulk), not once per row."""

    def __init__(self, upload: str, user, raws: list[dict], decimal_comma: bool):
        self.upload, self.user, self.decimal_comma = upload, user, decimal_comma
        self.requests = AidRequest.objects.in_bulk(_ids(raws, "request"))
        self.pledges = Pledge.objects.in_bulk(_ids(raws, "pledge"))
        self.organizations = {}
        for organization in Organization.objects.all():
            for label in (organization.name, organization.acronym):
                if label:
                    self.organizations.setdefault(label.casefold(), organization)
        mine = rights.organizations_of(user)
        self.default_organization = Organization.objects.get(pk=next(iter(mine))) if len(mine) == 1 else None
        self.units = _labels(AidRequest.Unit.choices)
        self.statuses = _labels(Pledge.Status.choices)
        self.recorded = set()
        if upload == "deliveries":
            self.recorded = set(
                Delivery.objects.filter(request__in=self.requests.values()).values_list(
                    "request_id", "delivered_on", "quantity", "delivering_organization_id"
                )
            )

    def check(self, row: UploadRow, raw: dict) -> None:
        errors = row.errors
        request = self._request(raw.get("request"), errors)
        quantity = self._quantity(raw.get("quantity"), errors)
        date_field = "delivered_on" if self.upload == "deliveries" else "expected_on"
        day = self._date(raw.get(date_field), errors, required=self.upload == "deliveries")
        organization = self._organization(row.values.get("organization", ""), errors)
        if request is not None:
            self._unit(row.values.get("unit", ""), request, errors)
        if errors:
            return
        notes = row.values.get("notes", "")
        if self.upload == "deliveries":
            record = Delivery(
                request=request,
                quantity=quantity,
                unit=request.unit,
                delivered_on=day,
                delivering_organization=organization,
                pledge=self._pledge(raw.get("pledge"), errors),
                notes=notes,
            )
            key = (request.pk, day, quantity, organization.pk)
            if key in self.recorded:
                row.warnings.append(
                    _("A delivery with this request, date, quantity and organisation is already recorded.")
                )
        else:
            record = Pledge(
                request=request,
                quantity=quantity,
                unit=request.unit,
                expected_on=day,
                organization=organization,
                status=self._status(row.values.get("status", ""), errors),
                notes=notes,
            )
        if errors:
            return
        try:
            rights.check(self.user, "add", record)
            # The foreign keys were read from the database for this file and the quantity checked
            # above (the database enforces both again on save): only the models' own rules remain.
            record.full_clean(
                exclude=["request", "pledge", "organization", "delivering_organization"], validate_constraints=False
            )
        except PermissionDenied as denial:
            errors.append(str(denial))
        except ValidationError as invalid:
            errors.extend(invalid.messages)
        else:
            row.record = record

    def flag_repeats(self, rows: list[UploadRow]) -> None:
        """The same row twice in one file is most often a copy-paste slip: say so, but let it stand."""
        keys = [tuple(sorted(row.values.items())) for row in rows]
        counts = Counter(keys)
        for row, key in zip(rows, keys, strict=True):
            if counts[key] > 1:
                row.warnings.append(_("This row appears %(count)s times in the file.") % {"count": counts[key]})

    def _request(self, cell, errors):
        number = _integer(cell)
        if number is None:
            errors.append(_("Give the aid request's ID (the ID column of the requests table)."))
            return None
        request = self.requests.get(number)
        if request is None:
            errors.append(_("No aid request has ID %(id)s.") % {"id": number})
        return request

    def _quantity(self, cell, errors) -> Decimal | None:
        try:
            quantity = parse_number(cell, decimal_comma=self.decimal_comma)
        except ValueError:
            quantity = None
        if quantity is None or quantity <= 0:
            errors.append(_("The quantity must be a number above zero."))
            return None
        return quantity

    def _date(self, cell, errors, *, required: bool) -> datetime.date | None:
        if isinstance(cell, datetime.datetime):
            return cell.date()
        if isinstance(cell, datetime.date):
            return cell
        text = _cell_text(cell)
        if not text:
            if required:
                errors.append(_("Give the date (2017-09-20 or 20.09.2017)."))
            return None
        day = _parse_day(text)
        if day is None:
            errors.append(_("%(value)r is not a date (write 2017-09-20 or 20.09.2017).") % {"value": text})
        return day

    def _organization(self, text: str, errors):
        if not text:
            if self.default_organization is None:
                errors.append(_("Name the organisation (its name or acronym)."))
            return self.default_organization
        found = self.organizations.get(text.casefold())
        if found is None:
            errors.append(_("No organisation is called %(name)r.") % {"name": text})
        return found

    def _unit(self, text: str, request, errors) -> None:
        if text and self.units.get(text.casefold(), text) != request.unit:
            errors.append(
                _("The request is counted in %(unit)s; this row says %(given)r.")
                % {"unit": request.get_unit_display(), "given": text}
            )

    def _pledge(self, cell, errors):
        if cell in (None, ""):
            return None
        number = _integer(cell)
        found = self.pledges.get(number) if number is not None else None
        if found is None:
            errors.append(_("No pledge has ID %(id)s.") % {"id": _cell_text(cell)})
        return found

    def _status(self, text: str, errors) -> str:
        if not text:
            return Pledge.Status.PLEDGED
        status = self.statuses.get(text.casefold())
        if status is None:
            errors.append(
                _("%(value)r is not a pledge status (%(choices)s).")
                % {"value": text, "choices": ", ".join(Pledge.Status.values)}
            )
        return status or Pledge.Status.PLEDGED


def _labels(choices) -> dict[str, str]:
    """A choice's value or English label (any case) -> its value."""
    labels = {}
    for value, label in choices:
        labels[str(value).casefold()] = value
        labels[str(label).casefold()] = value
    return labels


def _integer(cell) -> int | None:
    text = _cell_text(cell)
    return int(text) if text.isdigit() else None


def _ids(raws: list[dict], name: str) -> list[int]:
    return [number for raw in raws if (number := _integer(raw.get(name))) is not None]


def _parse_day(text: str) -> datetime.date | None:
    for pattern, order in ((ISO, (0, 1, 2)), (DAY_FIRST, (2, 1, 0))):
        found = pattern.fullmatch(text)
        if found:
            parts = [int(part) for part in found.groups()]
            try:
                return datetime.date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


def template_csv(upload: str) -> str:
    """The header line of an upload, with the fields in their order (a file to fill in)."""
    return ",".join(FIELDS[upload]) + "\n"
