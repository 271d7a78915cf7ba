"""Pages that stay fast on a million rows: the count is exact while it is cheap, estimated beyond."""

import json

from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

EXACT_COUNT_LIMIT = 10_000


def planner_estimate(queryset) -> int:
    """PostgreSQL's estimate of the rows `queryset` returns, from its query plan (no scan)."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Counts up to EXACT_COUNT_LIMIT rows exactly; a larger result gets the planner's estimate,
    flagged by `estimated` so the page can say "about"."""

    estimated = False

    @classmethod
    def counted(cls, count: int, per_page: int, *, estimated: bool) -> "EstimatedCountPaginator":
        """A paginator for a count already known (a cached page's), with no rows to count."""
        paginator = cls([], per_page)
        paginator.__dict__["count"] = count
        paginator.estimated = estimated
        return paginator

    @cached_property
    def count(self):
        exact = self.object_list.order_by()[: EXACT_COUNT_LIMIT + 1].count()
        if exact <= EXACT_COUNT_LIMIT:
            return exact
        self.estimated = True
        return max(planner_estimate(self.object_list), exact)
