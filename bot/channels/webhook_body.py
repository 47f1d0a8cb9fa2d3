"""Reading a provider's webhook body with a size limit (WhatsApp, SMS): the rest of an oversized body is never
read, so a flood of bytes costs no memory."""

from __future__ import annotations

from starlette.requests import Request


async def read_body(request: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it grows over `limit` bytes (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
