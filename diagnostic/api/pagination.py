"""Every list in the API comes in pages: `?page=1&page_size=50` (at most 200 a page).

The answer says how many there are in all, and links to the next and previous pages. A page
past the end is empty, not an error. Each page costs the same fixed number of queries however
long the list (asserted in tests/test_queries.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000


class Pages(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="Which page, from 1.")
        page_size: int = Field(
            PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Items a page, 1 to {MAX_PAGE_SIZE}."
        )

    class Output(Schema):
        count: int = Field(description="Items in all pages.")
        page: int
        page_size: int
        next: str | None = Field(description="The next page's URL, if there is one.")
        previous: str | None = Field(description="The previous page's URL, if there is one.")
        items: list[Any]

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, request: HttpRequest, **params):
        page, size = pagination.page, pagination.page_size
        offset = (page - 1) * size
        count = self._items_count(queryset)
        return {
            "count": count,
            "page": page,
            "page_size": size,
            "next": _link(request, page + 1, size) if offset + size < count else None,
            "previous": _link(request, min(page - 1, max(1, -(-count // size))), size)
            if page > 1
            else None,
            "items": list(queryset[offset : offset + size]),
        }


def _link(request: HttpRequest, page: int, size: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    query["page_size"] = str(size)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class Mapped:
    """A queryset the paginator counts and slices, turned into plain dicts one page at a time.

    Plain dicts validate several times faster than model instances read through ninja's
    resolvers, so a page of 200 stays within the page bar at 10× data (bench/api.py)."""

    def __init__(self, queryset, to_dict):
        self.queryset, self.to_dict = queryset, to_dict

    def all(self):
        return self.queryset.all()

    def __len__(self):
        return self.queryset.count()

    def __getitem__(self, item):
        return [self.to_dict(obj) for obj in self.queryset[item]]
