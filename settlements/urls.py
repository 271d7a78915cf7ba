from django.urls import path, register_converter

from settlements.models import PCODE_PATTERN
from settlements.views import alerts, exports, imports, maps, presence, sources, tables


class PcodeConverter:
    regex = PCODE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PcodeConverter, "pcode")

import_patterns = [
    path("", imports.import_list, name="list"),
    path("now/", imports.import_now, name="now"),
    path("new/", imports.new_import, name="new"),
    path("new/<str:token>/", imports.preview_import, name="preview"),
    path("<int:pk>/progress.json", imports.import_progress, name="progress"),
    path("disagreements/", sources.disagreements, name="disagreements"),
    path("disagreements/<int:pk>/choose/", sources.choose, name="choose"),
    path("<int:pk>/", imports.import_detail, name="detail"),
    path("<int:pk>/report.csv", imports.import_report, name="report"),
]

map_patterns = [
    path("", maps.map_page, name="page"),
    path("settlements.geojson", maps.settlement_points, name="settlements"),
    path("camps.geojson", maps.camp_points, name="camps"),
    path("restoration.geojson", maps.restoration_points, name="restoration"),
    path("areas.geojson", maps.area_shapes, name="areas"),
    path("settlements/<int:pk>.json", maps.settlement_popup, name="settlement-popup"),
    path("camps/<int:pk>.json", maps.camp_popup, name="camp-popup"),
]

table_patterns = [
    path("settlements/", tables.settlement_table, name="settlements"),
    path("settlements/<pcode:pcode>/", tables.settlement_detail, name="settlement"),
    path("settlements/<pcode:pcode>/trends.csv", tables.settlement_trends_csv, name="settlement-trends"),
    path("camps/", tables.camp_table, name="camps"),
    path("camps/<int:pk>/", tables.camp_detail, name="camp"),
    path("camps/<int:pk>/trends.csv", tables.camp_trends_csv, name="camp-trends"),
    path("requests/", tables.request_table, name="requests"),
]

export_patterns = [
    path("", exports.export_list, name="list"),
    path("<uuid:token>/", exports.export_detail, name="detail"),
    path("<uuid:token>/status.json", exports.export_status, name="status"),
    path("<uuid:token>/download", exports.export_download, name="download"),
]

presence_patterns = [
    path("", presence.presence_page, name="page"),
    path("areas.geojson", presence.presence_areas, name="areas"),
]

alert_patterns = [
    path("", alerts.notice_list, name="list"),
    path("read/", alerts.mark_all_read, name="read"),
    path("settings/", alerts.subscription, name="subscription"),
]
