"""Coordination on the bench database: who does what where (/api/presence/) and bulk entry,
each beside its floor.

The bench database's 1,000,000 requests and their 333,333 deliveries are given 40 partner
organisations and six months of delivery dates, and every tenth request an open pledge. Measured in
one process, interleaved run by run:
- AidTrack: /api/presence/ unfiltered (districts) and for one governorate by sub-district: the
  presence rows, overlaps, uncovered areas and the gap per area and category, through the view,
  the first time after a write (computed) and again (from the cache);
- each part alone (selectors): presence rows, overlaps, uncovered areas, gaps;
- the floor: one hand-written SQL statement grouping the deliveries by organisation, district,
  category and unit, the least any presence report reads.
Bulk entry: a 5,000-row deliveries CSV previewed (read and every row checked) and written (rolled
back after each run), beside the floor: Django's bulk_create of the same 5,000 deliveries.

    .venv/bin/python bench/coordination_bench.py [--runs 3]
"""

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_NOTE, ROOT, django_setup, prepare, seed_requests, summary

RESULTS = ROOT / "bench" / "results" / "coordination.json"
BULK_ROWS = 5000
ORGANIZATIONS = 40
FLOOR_SQL = """
    SELECT d.delivering_organization_id, s.district_id, r.category, r.unit, count(*), sum(d.quantity),
           max(d.delivered_on)
    FROM settlements_delivery d
    JOIN settlements_aidrequest r ON r.id = d.request_id
    JOIN settlements_settlement s ON s.id = r.settlement_id
    WHERE d.delivering_organization_id IS NOT NULL
    GROUP BY 1, 2, 3, 4
"""


def seed_presence() -> None:
    """Partners on the bench deliveries, and open pledges on every tenth request (once)."""
    from django.db import connection

    from settlements.caching import data_changed
    from settlements.models import Organization

    organizations = [
        Organization.objects.get_or_create(name=f"Bench partner {n}", defaults={"acronym": f"BP{n}"})[0].pk
        for n in range(ORGANIZATIONS)
    ]
    with connection.cursor() as cursor:
        # Pseudo-random (md5 of the id) partner and date for each delivery, so that deliveries of one
        # category to one settlement fall now near each other, now months apart: about one pair in
        # seven overlaps.
        cursor.execute(
            """
            UPDATE settlements_delivery SET
                delivering_organization_id =
                    (%s::int[])[1 + (('x' || substr(md5(id::text), 1, 7))::bit(28)::int %% %s)],
                delivered_on = DATE '2030-01-01' + (('x' || substr(md5(id::text), 9, 7))::bit(28)::int %% 180)
            WHERE notes = %s
            """,
            [organizations, ORGANIZATIONS, BENCH_NOTE],
        )
        cursor.execute("SELECT EXISTS (SELECT 1 FROM settlements_pledge WHERE notes = %s)", [BENCH_NOTE])
        if not cursor.fetchone()[0]:
            cursor.execute(
                """
                INSERT INTO settlements_pledge (organization_id, request_id, quantity, unit, expected_on, status,
                    notes, created_at, updated_at)
                SELECT (%s::int[])[1 + (r.id / 10) %% %s], r.id, 1, r.unit, DATE '2030-01-01' + (r.id %% 120)::int,
                       'pledged', %s, now(), now()
                FROM settlements_aidrequest r WHERE r.description = %s AND r.id %% 10 = 0
                """,
                [organizations, ORGANIZATIONS, BENCH_NOTE, BENCH_NOTE],
            )
        cursor.execute("VACUUM ANALYZE settlements_delivery, settlements_pledge")
    data_changed()


def bulk_entry():
    """Preview, write, and the floor for a BULK_ROWS-row deliveries file, as a member of one partner."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from settlements.coordination import uploads
    from settlements.models import AidRequest, Delivery, Organization

    partner = Organization.objects.get(name="Bench partner 1")
    staff, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    staff.groups.add(Group.objects.get(name="Staff"))
    partner.members.add(staff)
    ids = list(
        AidRequest.objects.filter(description=BENCH_NOTE).order_by("pk").values_list("pk", flat=True)[:BULK_ROWS]
    )
    lines = ["request,quantity,delivered_on,organization", *(f"{pk},1,2030-02-01,{partner.acronym}" for pk in ids)]
    content = ("\n".join(lines) + "\n").encode()

    def preview():
        user = User.objects.get(pk=staff.pk)  # a fresh user each run: no memberships read before
        checked = uploads.preview_upload(upload="deliveries", content=content, name="deliveries.csv", user=user)
        assert checked.ready
        return checked, user

    def check():
        return len(preview()[0].rows)

    def write():
        checked, user = preview()
        with transaction.atomic():
            written = uploads.apply_upload(preview=checked, user=user)
            transaction.set_rollback(True)
        return written

    def floor():
        made = [
            Delivery(
                request_id=pk,
                quantity=Decimal(1),
                unit="t",
                delivered_on=dt.date(2030, 2, 1),
                delivering_organization=partner,
            )
            for pk in ids
        ]
        with transaction.atomic():
            Delivery.objects.bulk_create(made)
            transaction.set_rollback(True)
        return len(made)

    return {"bulk_preview": check, "bulk_preview_and_write": write, "floor_bulk_create": floor}


def contenders():
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from settlements.caching import data_changed
    from settlements.coordination import selectors
    from settlements.coordination.filters import PresenceFilterSet
    from settlements.models import Pledge

    client = Client()
    client.force_login(User.objects.get(username="bench"))

    def view(params, *, after_a_write):
        def run():
            if after_a_write:
                data_changed()  # what every write does: the next view computes the picture again
            response = client.get("/api/presence/", params)
            assert response.status_code == 200, response.content[:500]
            return len(response.content)

        return run

    def part(selector):
        def run():
            filterset = PresenceFilterSet({}, queryset=Pledge.objects.none())
            assert filterset.is_valid()
            return len(selector(filterset))

        return run

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL)
            return len(cursor.fetchall())

    return {
        **bulk_entry(),
        "api_all_districts_after_a_write": view({}, after_a_write=True),
        "api_all_districts_cached": view({}, after_a_write=False),
        "api_one_governorate_sub_districts_after_a_write": view(
            {"governorate": "SY01", "level": "3"}, after_a_write=True
        ),
        "presence_rows": part(selectors.presence),
        "overlaps": part(selectors.overlaps),
        "uncovered_areas": part(selectors.uncovered_areas),
        "gaps_by_area": part(selectors.gaps_by_area),
        "floor_sql_group_by": floor,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    prepare(100_000)
    seed_requests(1_000_000)
    django_setup()
    from django.contrib.auth.models import User

    from settlements.models import AidRequest, Delivery, Pledge

    seed_presence()
    User.objects.filter(username="bench").exists() or User.objects.create_superuser("bench", password=None)
    runs = contenders()
    seconds = {name: [] for name in runs}
    sizes = {}
    for name, run in runs.items():  # warm: connections, permissions, plans
        sizes[name] = run()
    for _ in range(args.runs):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            seconds[name].append(round(time.perf_counter() - started, 4))
    result = {
        "what": "who does what where (/api/presence/) and its parts beside a hand-written GROUP BY; bulk entry "
        "of deliveries beside bulk_create",
        "bulk_rows": BULK_ROWS,
        "aid_requests": AidRequest.objects.count(),
        "deliveries": Delivery.objects.count(),
        "pledges": Pledge.objects.count(),
        "organizations": ORGANIZATIONS,
        "seconds": {name: summary(values) for name, values in seconds.items()},
        "sizes": sizes,  # response bytes for the views, rows for the parts and the floor
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": f"bench/coordination_bench.py --runs {args.runs}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
