"""Map data benchmark: the settlements layer for about 7,000 and 100,000 settlements.

Server side, in one process and interleaved run by run so machine noise hits every contender:
- AidTrack: the /map/settlements.geojson view, uncached (GeoJSON built by PostgreSQL, gzip),
  and the same view answered from the cache;
- djangorestframework-gis GeoFeatureModelSerializer on the same rows and properties;
- Django's geojson serializer on the same rows and properties.
Reported: median [min-max] seconds and bytes (raw and gzip).

Browser side: Debian's Chromium opens /map/ (served by gunicorn on the bench database) and the
time from navigation start to the markers being drawn is read from the page: with the layers
cached, and at 100,000 settlements as the first visit after a write, both once the worker has
rebuilt what the map opens with (settlements.warm_dashboard) and with no worker to do it.

    .venv/bin/python bench/map_bench.py [--runs 5] [--skip-browser]
"""

import argparse
import datetime
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ENV, ROOT, prepare, seed_requests, summary
from dashboard_bench import NOBODY, built
from import_bench import Worker
from server import Server, logged_in_session

RESULTS = ROOT / "bench" / "results" / "map.json"
SIZES = {"7k": {"governorate": "SY01"}, "100k": {}}


def contenders(params: dict):
    from django.core import serializers
    from django.test import Client
    from rest_framework_gis.serializers import GeoFeatureModelSerializer

    from settlements import selectors
    from settlements.caching import data_changed
    from settlements.filters import SettlementFilterSet, stale_before
    from settlements.models import Settlement

    queryset = SettlementFilterSet(params, queryset=Settlement.objects.all()).qs
    rows = queryset.annotate(need=selectors.need_priority("settlement"))

    class PointSerializer(GeoFeatureModelSerializer):
        class Meta:
            model = Settlement
            geo_field = "location"
            fields = ["id", "location", "on_latest_list", "last_confirmed"]

    def drf_gis():
        cutoff = stale_before()
        data = PointSerializer(rows.only("id", "location", "on_latest_list", "last_confirmed"), many=True).data
        for feature, row in zip(data["features"], rows.values_list("need", "last_confirmed"), strict=True):
            feature["properties"] = {
                "p": row[0],
                "l": feature["properties"]["on_latest_list"],
                "s": bool(row[1] and row[1] < cutoff),
            }
        return json.dumps(data)

    def django_geojson():
        return serializers.serialize(
            "geojson",
            rows.only("id", "location", "on_latest_list", "last_confirmed"),
            geometry_field="location",
            fields=["on_latest_list", "last_confirmed"],
        )

    client = Client(HTTP_ACCEPT_ENCODING="gzip")
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="bench"))

    def aidtrack_view(fresh: bool) -> bytes:
        if fresh:
            data_changed()
        response = client.get("/map/settlements.geojson", params)
        if response.status_code != 200:
            raise RuntimeError(f"/map/settlements.geojson answered {response.status_code}")
        return response.content

    return {
        "aidtrack_view_uncached": lambda: aidtrack_view(fresh=True),
        "aidtrack_view_cached": lambda: aidtrack_view(fresh=False),
        "aidtrack_selector": lambda: selectors.settlement_map_data(queryset),
        "drf_gis_GeoFeatureModelSerializer": drf_gis,
        "django_geojson_serializer": django_geojson,
    }


def measure_server(runs: int) -> dict:
    results = {}
    for size, params in SIZES.items():
        timings, sizes = {}, {}
        functions = contenders(params)
        functions["aidtrack_view_cached"]()  # fill the cache once
        for _ in range(runs):
            for name, function in functions.items():
                started = time.perf_counter()
                body = function()
                timings.setdefault(name, []).append(time.perf_counter() - started)
                data = body if isinstance(body, bytes) else body.encode()
                if data[:2] == b"\x1f\x8b":
                    sizes[name] = {"gzip_bytes": len(data), "raw_bytes": len(gzip.decompress(data))}
                else:
                    sizes[name] = {"raw_bytes": len(data), "gzip_bytes": len(gzip.compress(data, 5))}
        from settlements.filters import SettlementFilterSet
        from settlements.models import Settlement

        count = SettlementFilterSet(params, queryset=Settlement.objects.all()).qs.count()
        results[size] = {
            "settlements": count,
            "seconds": {name: summary(values) for name, values in timings.items()},
            "bytes": sizes,
        }
    return results


def visit(browser, server, cookie: str, query: str) -> tuple[float, int]:
    """Seconds from navigation start to the markers drawn, and how many settlements they show."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("https://*.tile.openstreetmap.org/**", lambda route: route.abort())
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": server.url}])
    page = context.new_page()
    page.goto(f"{server.url}/map/?{query}")
    page.wait_for_selector("#map-status[data-shown]", timeout=120_000)
    seconds = page.evaluate("() => performance.now() / 1000")
    total = int(page.get_attribute("#map-status", "data-total"))
    context.close()
    return seconds, total


def measure_browser(runs: int) -> dict:
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    from settlements.caching import data_changed

    results = {}
    cookie = logged_in_session()  # before Playwright runs its event loop in this thread
    worker = Worker()
    ENV["CACHE_WARMING_DELAY"] = "0"
    with Server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for size, params in SIZES.items():
            query = "&".join(f"{k}={v}" for k, v in params.items())
            visit(browser, server, cookie, query)  # the first visit warms the server and its cache; not counted
            seconds = [visit(browser, server, cookie, query)[0] for _ in range(runs)]
            total = visit(browser, server, cookie, query)[1]
            results[size] = {"settlements": total, "navigation_to_markers_drawn_s": summary(seconds)}
        # The first visit after a write, to the map as it opens (no filter, 100,000 settlements).
        rebuilt, after_rebuild, nobody = [], [], []
        for _ in range(runs):
            settings.CACHE_WARMING_QUEUE = worker.queue
            started = time.perf_counter()
            data_changed()
            while not built():  # the worker builds the map's layers first, then the dashboard's figures
                time.sleep(0.05)
            rebuilt.append(time.perf_counter() - started)
            after_rebuild.append(visit(browser, server, cookie, "")[0])
            settings.CACHE_WARMING_QUEUE = NOBODY
            data_changed()
            nobody.append(visit(browser, server, cookie, "")[0])
        results["first_visit_after_a_write"] = {
            "worker_rebuild_s": summary(rebuilt),
            "once_rebuilt_s": summary(after_rebuild),
            "nobody_rebuilds_s": summary(nobody),
        }
        browser.close()
    worker.stop()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    prepare(100_000)
    seed_requests(1_000_000)
    from django.contrib.auth.models import User

    User.objects.filter(username="bench").exists() or User.objects.create_superuser("bench", password=None)
    result = {
        "what": "the map's settlements layer, AidTrack against DRF-gis and Django's geojson serializer",
        "server": measure_server(args.runs),
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": f"bench/map_bench.py --runs {args.runs}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not args.skip_browser:
        result["browser"] = measure_browser(max(3, args.runs // 2))
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
