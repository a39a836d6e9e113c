"""Twilio's paging: `Page`/`PageSize` in, a `meta` object with absolute page URLs out.

The official clients follow `next_page_url` verbatim, so the URLs keep the list's filters and
point at this server. `PageToken` is accepted and echoed for compatibility; the position is the
page number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from atende.taskrouter.web.params import Params

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return self.page * self.page_size

    @property
    def limit(self) -> int:
        """One row more than a page, to learn whether a next page exists."""
        return self.page_size + 1


def page_request(params: Params) -> PageRequest:
    size = params.integer("PageSize", minimum=1, maximum=MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    page = params.integer("Page", minimum=0) or 0
    return PageRequest(page=page, page_size=size)


def _page_url(request: Request, page: int, page_size: int, token: bool) -> str:
    kept = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key not in {"Page", "PageSize", "PageToken"}
    ]
    kept += [("PageSize", str(page_size)), ("Page", str(page))]
    if token:
        kept.append(("PageToken", f"PT{page}"))
    base = str(request.url.replace(query="")).rstrip("?")
    return f"{base}?{urlencode(kept)}"


def page_body(
    request: Request, key: str, rows: Sequence[T], paging: PageRequest, items: list[Any]
) -> dict[str, Any]:
    """`rows` is what the query returned (up to `paging.limit`); `items` the page's JSON."""
    has_next = len(rows) > paging.page_size
    page, size = paging.page, paging.page_size
    meta = {
        "page": page,
        "page_size": size,
        "first_page_url": _page_url(request, 0, size, token=False),
        "previous_page_url": _page_url(request, page - 1, size, token=True) if page else None,
        "url": _page_url(request, page, size, token=page > 0),
        "next_page_url": _page_url(request, page + 1, size, token=True) if has_next else None,
        "key": key,
    }
    return {key: items[:size], "meta": meta}
