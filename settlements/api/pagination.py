from rest_framework import pagination
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    """Stable pages however much is added meanwhile; ?ordering= picks the order."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = "id"


class GeoCursorPagination(CursorPagination):
    """Cursor pages of a GeoJSON resource: a FeatureCollection with `next` and `previous` beside it."""

    def get_paginated_response(self, data):
        return Response(
            {
                "type": "FeatureCollection",
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": data["features"],
            }
        )

    def get_paginated_response_schema(self, schema):
        """The serializer's FeatureCollection, with the cursor links beside its features."""
        links = super().get_paginated_response_schema(schema)["properties"]
        cursor = {"type": "object", "properties": {"next": links["next"], "previous": links["previous"]}}
        return {"allOf": [schema, cursor]}
