"""Request progress for reads of many requests at once: the view `settlements_requestprogress_bulk`
(models.RequestProgressInBulk), beside the per-request view of migration 0026.

The per-request view looks up each request's deliveries and open pledges (lateral joins): right for
a page of fifty or one place's needs, but over a million requests that is two million index
lookups. The bulk view sums the deliveries and the open pledges per request in one pass each and
joins the sums (hash joins): a million-request export takes a second less, while one place's
needs would pay for summing every delivery. So both views stay, and both are written here from one
definition of the figures (FIGURES over `d.delivered`, `d.arrived` and `p.promised`); they differ
only in how those inputs are gathered. Tests check the two agree. The open pledge statuses are
Pledge.OPEN_STATUSES.
"""

import django.db.models.deletion
from django.db import migrations, models

OPEN = "('pledged', 'in_transit')"

FIGURES = """
SELECT r.id AS request_id,
       d.delivered,
       GREATEST(r.quantity - d.delivered, 0) AS gap,
       GREATEST(p.promised - d.arrived, 0) AS pledged,
       GREATEST(r.quantity - d.delivered - GREATEST(p.promised - d.arrived, 0), 0) AS uncovered
FROM settlements_aidrequest r
"""

PER_REQUEST = f"""
CREATE OR REPLACE VIEW settlements_requestprogress AS {FIGURES}
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(x.quantity), 0) AS delivered,
           COALESCE(SUM(x.quantity) FILTER (WHERE o.status IN {OPEN}), 0) AS arrived
    FROM settlements_delivery x LEFT JOIN settlements_pledge o ON o.id = x.pledge_id
    WHERE x.request_id = r.id
) d
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(y.quantity), 0) AS promised
    FROM settlements_pledge y
    WHERE y.request_id = r.id AND y.status IN {OPEN}
) p
"""

IN_BULK = f"""
CREATE VIEW settlements_requestprogress_bulk AS {FIGURES}
LEFT JOIN (
    SELECT x.request_id, SUM(x.quantity) AS delivered,
           SUM(x.quantity) FILTER (WHERE o.status IN {OPEN}) AS arrived
    FROM settlements_delivery x LEFT JOIN settlements_pledge o ON o.id = x.pledge_id
    GROUP BY x.request_id
) delivered ON delivered.request_id = r.id
LEFT JOIN (
    SELECT y.request_id, SUM(y.quantity) AS promised
    FROM settlements_pledge y
    WHERE y.status IN {OPEN}
    GROUP BY y.request_id
) promised ON promised.request_id = r.id
CROSS JOIN LATERAL (
    SELECT COALESCE(delivered.delivered, 0) AS delivered, COALESCE(delivered.arrived, 0) AS arrived
) d
CROSS JOIN LATERAL (SELECT COALESCE(promised.promised, 0) AS promised) p
"""


class Migration(migrations.Migration):
    dependencies = [("settlements", "0027_open_needs_indexes")]

    operations = [
        # The per-request view, rewritten from FIGURES: the same columns and the same figures.
        migrations.RunSQL(PER_REQUEST, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(IN_BULK, reverse_sql="DROP VIEW settlements_requestprogress_bulk"),
        migrations.CreateModel(
            name="RequestProgressInBulk",
            fields=[
                (
                    "request",
                    models.OneToOneField(
                        db_column="request_id",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="progress_in_bulk",
                        serialize=False,
                        to="settlements.aidrequest",
                    ),
                ),
                ("delivered", models.DecimalField(decimal_places=2, max_digits=14)),
                ("gap", models.DecimalField(decimal_places=2, max_digits=14)),
                ("pledged", models.DecimalField(decimal_places=2, max_digits=14)),
                ("uncovered", models.DecimalField(decimal_places=2, max_digits=14)),
            ],
            options={"db_table": "settlements_requestprogress_bulk", "managed": False},
        ),
    ]
