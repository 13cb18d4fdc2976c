"""Reading request bodies safely: a size cap before anything is parsed, and JSON whose shape
cannot hurt (bounded nesting, numbers that fit in 64 bits, no NaN or Infinity, no lone
surrogates)."""

from __future__ import annotations

import asyncio
import json
import math
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

# Far deeper than any platform's payload (a LINE webhook is about 6 levels deep), far below
# Python's recursion limit, so neither the parser nor anything walking the result recurses
# too deep (8,000 nested brackets raised RecursionError: a 500).
MAX_JSON_DEPTH = 64
# Every number we take is an id, a count or a coordinate; a 5,000-digit one raised
# ValueError in int() (a 500), and a 4,000-digit one would reach the database.
MAX_NUMBER_CHARS = 40
INT64 = 2**63
# A body must have arrived within this time: one sent a byte now and then (slowloris) would
# otherwise hold its connection, and what it sent so far, as long as the sender likes.
BODY_SECONDS = 30.0


# `\ud800` is valid JSON but no character: json keeps a lone surrogate in the string, and
# encoding it later for the database or a response raised UnicodeEncodeError (a 500, which the
# platforms send again and again). Raw UTF-8 cannot carry one, so only an escape can.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    """JSON that is valid but not something we take."""


async def read_body(request: Request, limit: int, seconds: float = BODY_SECONDS) -> bytes:
    """The raw body, or 413 once it passes `limit` bytes (checked while streaming), or 408
    when it has not all arrived within `seconds`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"request body over {limit} bytes")
    # What the sender said it would send: a longer body is a lie (the upload slots counted
    # it at its declared size), cut off where it goes past.
    promised = min(int(declared), limit) if declared is not None and declared.isdigit() else limit
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"request body over {limit} bytes")
                if size > promised:
                    raise HTTPException(400, "request body longer than its Content-Length")
                chunks.append(chunk)
    except TimeoutError:
        raise HTTPException(408, f"request body not received within {seconds:g} s") from None
    return b"".join(chunks)


def declared_size(request: Request, limit: int) -> int:
    """What the body may take: its Content-Length when that is under `limit`, else `limit`."""
    declared = request.headers.get("content-length", "")
    return min(int(declared), limit) if declared.isdigit() and len(declared) < 19 else limit


def _integer(text: str) -> int:
    if len(text) < 19:  # at most 18 digits and a sign: always inside 64 bits
        return int(text)
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = int(text)
    if not -INT64 <= value < INT64:
        raise _Refused("an integer outside 64 bits")
    return value


def _real(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("a number too large for a float")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON")


# Made once: json.loads with hooks would build a decoder (and its scanner) on every call.
_DECODER = json.JSONDecoder(parse_int=_integer, parse_float=_real, parse_constant=_constant)


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (walked without recursion)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        pending.extend((child, level + 1) for child in children)
    return deepest


def _mend(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def _mend_surrogates(value: Any) -> Any:
    """`value` with every lone surrogate in its strings and keys read as U+FFFD (a proper
    pair is one character already). Changed in place, walked without recursion."""
    if isinstance(value, str):
        return _mend(value)
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key in list(item):
                child = item[key]
                if isinstance(child, str):
                    child = item[key] = _mend(child)
                elif isinstance(child, (dict, list)):
                    pending.append(child)
                if _LONE_SURROGATE.search(key):
                    del item[key]
                    item[_mend(key)] = child
        elif isinstance(item, list):
            for index, child in enumerate(item):
                if isinstance(child, str):
                    item[index] = _mend(child)
                elif isinstance(child, (dict, list)):
                    pending.append(child)
    return value


def parse_json(body: bytes) -> Any:
    """Decoded JSON, or 400 naming the problem (never 500, whatever the body holds)."""
    too_deep = HTTPException(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = _DECODER.decode(body.decode("utf-8"))
    except RecursionError:
        raise too_deep from None
    except _Refused as exc:
        raise HTTPException(400, f"body refused: {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise HTTPException(400, f"body is not valid UTF-8 JSON: {exc}") from None
    # Nesting needs at least as many brackets as levels: most bodies are spared the walk.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth(value) > MAX_JSON_DEPTH:
        raise too_deep
    if _SURROGATE_ESCAPE.search(body):
        value = _mend_surrogates(value)
    return value
