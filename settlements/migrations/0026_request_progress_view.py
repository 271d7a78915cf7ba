"""The one definition of a request's progress as a view, `settlements_requestprogress` (models.RequestProgress).

Every aid request has one row: its deliveries read once (with what was delivered against open
pledges), its open pledges once, then delivered, gap, pledged and uncovered from them. The open
pledge statuses are Pledge.OPEN_STATUSES.
"""

from django.db import migrations, models
import django.db.models.deletion

VIEW = """
CREATE VIEW settlements_requestprogress AS
SELECT r.id AS request_id,
       d.delivered,
       GREATEST(r.quantity - d.delivered, 0) AS gap,
       GREATEST(p.promised - d.arrived, 0) AS pledged,
       GREATEST(r.quantity - d.delivered - GREATEST(p.promised - d.arrived, 0), 0) AS uncovered
FROM settlements_aidrequest r
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(x.quantity), 0) AS delivered,
           COALESCE(SUM(x.quantity) FILTER (WHERE o.status IN ('pledged', 'in_transit')), 0) AS arrived
    FROM settlements_delivery x LEFT JOIN settlements_pledge o ON o.id = x.pledge_id
    WHERE x.request_id = r.id
) d
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(y.quantity), 0) AS promised
    FROM settlements_pledge y
    WHERE y.request_id = r.id AND y.status IN ('pledged', 'in_transit')
) p
"""


class Migration(migrations.Migration):
    dependencies = [("settlements", "0025_room_for_daily_list_updates")]

    operations = [
        migrations.RunSQL(VIEW, reverse_sql="DROP VIEW settlements_requestprogress"),
        migrations.CreateModel(
            name="RequestProgress",
            fields=[
                (
                    "request",
                    models.OneToOneField(
                        db_column="request_id",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="progress",
                        serialize=False,
                        to="settlements.aidrequest",
                    ),
                ),
                ("delivered", models.DecimalField(decimal_places=2, max_digits=14)),
                ("gap", models.DecimalField(decimal_places=2, max_digits=14)),
                ("pledged", models.DecimalField(decimal_places=2, max_digits=14)),
                ("uncovered", models.DecimalField(decimal_places=2, max_digits=14)),
            ],
            options={"db_table": "settlements_requestprogress", "managed": False},
        ),
    ]
