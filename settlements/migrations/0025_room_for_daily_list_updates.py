"""Settlements and aid requests keep half of each page free (fillfactor 50).

Every daily list rewrites what it names: each listed settlement's list dates (and figures), and each
need it states, pointed at the list (a 100,000-row list: 100,000 settlements and 200,000 needs every
morning). With room in the page PostgreSQL writes the new row version beside the old one without
touching the table's indexes (a HOT update), and the settlements' trigram and name-key GIN indexes
and the requests' eight indexes are the costly part of those writes (bench/import_days_bench.py,
docs/PERFORMANCE.md). Rows written from now on leave the room; `VACUUM FULL` of the two tables, in a
quiet hour, gives it to the rows written before.
"""

from django.db import migrations

TABLES = ("settlements_settlement", "settlements_aidrequest")


class Migration(migrations.Migration):
    dependencies = [("settlements", "0024_upload_trigger")]

    operations = [
        migrations.RunSQL(
            [f"ALTER TABLE {table} SET (fillfactor = 50)" for table in TABLES],
            reverse_sql=[f"ALTER TABLE {table} RESET (fillfactor)" for table in TABLES],
        )
    ]
