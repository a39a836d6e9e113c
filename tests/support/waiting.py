"""Waiting for asynchronous effects (background jobs) without fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 10.0
) -> T:
    """Poll `probe` until `accept` holds; returns the last value either way, so the caller's
    assertion shows what was there instead of a bare timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    value = await probe()
    while not accept(value) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        value = await probe()
    return value
