"""What the desk's admin-only APIs share in their tests: agents and supervisors are refused."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.desk.conftest import Browser

OpenBrowser = Callable[..., AbstractAsyncContextManager[Browser]]


async def assert_others_may_not_add_edit_or_list(
    browser: OpenBrowser, collection: str, new: dict[str, Any], sid: str
) -> None:
    """An agent and a supervisor, each signed in on their own page, get 403 for adding `new`,
    renaming the item `sid` and listing `collection`."""
    for user, page in (("ana", "/agent"), ("supervisora", "/supervisor")):
        async with browser(user, page) as other:
            added = await other.post(collection, json=new)
            edited = await other.patch(f"{collection}/{sid}", json={"name": "Meu canal"})
            listed = await other.get(collection)
            codes = (added.status_code, edited.status_code, listed.status_code)
            assert codes == (403, 403, 403), user
