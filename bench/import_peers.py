"""What a user would otherwise use to load the same 100,000-row list, run as child processes by
bench/import_bench.py, interleaved with AidTrack's own import.

    import_peers.py import-export PATH   django-import-export updating the settlements' population by
                                         P-code, with its fastest documented settings (bulk writes in
                                         batches of 1,000, no diff, instances loaded in one query,
                                         one transaction)
    import_peers.py copy-floor PATH      PostgreSQL COPY of the raw rows into a bare table: the floor

Each prints one JSON line with the seconds spent inside the process.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_DATABASE_URL, django_setup


def import_export(path: Path) -> dict:
    django_setup()
    import tablib
    from import_export import fields, resources
    from import_export.instance_loaders import CachedInstanceLoader

    from settlements.models import Settlement

    class SettlementResource(resources.ModelResource):
        pcode = fields.Field(attribute="pcode", column_name="P-code")
        population = fields.Field(attribute="population", column_name="Population")

        class Meta:
            model = Settlement
            fields = ("pcode", "population")
            import_id_fields = ("pcode",)
            instance_loader_class = CachedInstanceLoader
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            use_transactions = True

    started = time.perf_counter()
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    result = SettlementResource().import_data(dataset, raise_errors=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(dataset), "updated": result.totals.get("update", 0)}


def copy_floor(path: Path) -> dict:
    import psycopg2

    dsn = BENCH_DATABASE_URL.replace("postgis://", "postgresql://", 1)
    started = time.perf_counter()
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            "DROP TABLE IF EXISTS bench_copy_floor; CREATE TABLE bench_copy_floor (governorate text, "
            "settlement text, pcode text, population integer, food numeric, medicine numeric)"
        )
        with open(path, encoding="utf-8") as f:
            cursor.copy_expert("COPY bench_copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)", f)
        cursor.execute("SELECT count(*) FROM bench_copy_floor")
        rows = cursor.fetchone()[0]
    return {"seconds": time.perf_counter() - started, "rows": rows}


if __name__ == "__main__":
    peer, source = sys.argv[1], Path(sys.argv[2])
    print(json.dumps({"import-export": import_export, "copy-floor": copy_floor}[peer](source)))
