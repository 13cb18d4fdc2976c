"""Photos residents send: what they really are, read from their bytes, and a copy without EXIF.

A declared type (a Content-Type, a platform's mime_type) is never trusted: Pillow reads the
header and only JPEG, PNG and WebP pass. Decoding is CPU and memory work: async code calls
`clean_photo`, which runs it in a pool of its own, one photo at a time, whatever number of
residents send one at once.
"""

from __future__ import annotations

import asyncio
import functools
import io
import struct
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's format names, and the media type each one is.
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A phone's photo has 12 to 50 million pixels; more from a few megabytes is a decompression bomb
# (a 5 MB PNG can hold a picture that needs gigabytes once decoded).
MAX_PHOTO_PIXELS = 50_000_000
# PNG and WebP cost far more memory to rewrite than JPEG: a 49-megapixel WebP of 100 KB took
# 1 GB and 4 s. Screenshots and converted photos stay well under this (a 4K screen is 8.3).
MAX_LOSSLESS_PIXELS = 16_000_000
JPEG_QUALITY = 90
# Photos decoded at once in one process: each may take a few hundred MB while it is rewritten,
# so a burst of uploads queues here instead of adding up.
PHOTO_DECODES_AT_ONCE = 1
# What Pillow raises on a damaged or hostile file besides OSError: SyntaxError for a broken PNG
# chunk or EXIF header, EOFError and struct.error for a file cut short.
_DAMAGED = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
    Image.DecompressionBombError,
)

_ORIENTATION = 0x0112
_GPS_IFD = 0x8825
# GPS IFD tags: latitude ref (N/S), latitude, longitude ref (E/W), longitude.
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4


class NotAPhotoError(ValueError):
    """The bytes are not a JPEG, PNG or WebP picture we take; the message says why."""


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=tuple(PHOTO_FORMATS))
    except (UnidentifiedImageError, *_DAMAGED) as exc:
        raise NotAPhotoError("not a JPEG, PNG or WebP picture") from exc
    width, height = image.size
    limit = MAX_PHOTO_PIXELS if image.format == "JPEG" else MAX_LOSSLESS_PIXELS
    if width * height > limit:
        image.close()
        raise NotAPhotoError(f"a picture of at most {limit:,} pixels, please")
    return image


def photo_media_type(data: bytes) -> str:
    """image/jpeg, image/png or image/webp, as the bytes themselves say (only the header is
    read); NotAPhotoError for anything else, whatever its name or declared type."""
    with _open(data) as image:
        return PHOTO_FORMATS[str(image.format)]


def strip_exif(data: bytes) -> bytes:
    """The same photo in the same format without EXIF (GPS position, camera, time), XMP or
    comments; the colour profile stays. A photo taken sideways is turned upright first, since
    its Orientation tag goes with the rest. A JPEG that needs no turning keeps its quality
    tables (no visible loss); one that is turned is saved at quality 90. Only the first frame
    of an animated PNG or WebP is kept (and decoded). NotAPhotoError for anything damaged."""
    with _open(data) as image:
        try:
            return _rewritten(image)
        except _DAMAGED as exc:
            # A cut file, a broken chunk or EXIF header: damaged, not a server error.
            raise NotAPhotoError("the picture is damaged") from exc


def _rewritten(image: Image.Image) -> bytes:
    form = str(image.format)
    icc = image.info.get("icc_profile")
    orientation = image.getexif().get(_ORIENTATION, 1)
    image.load()
    params: dict[str, object]
    if orientation == 1:
        # No copy: a large picture is held once, not twice.
        clean = image
        params = {"quality": "keep", "subsampling": "keep"} if form == "JPEG" else {}
    else:
        clean, params = ImageOps.exif_transpose(image), {}
        if form == "JPEG":
            params["quality"] = JPEG_QUALITY
    # Pillow writes back what `info` holds (a JPEG's comment, XMP): keep none of it.
    clean.info.clear()
    if icc:
        params["icc_profile"] = icc
    out = io.BytesIO()
    clean.save(out, format=form, exif=b"", **params)
    return out.getvalue()


@functools.cache
def _decoder() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(PHOTO_DECODES_AT_ONCE, thread_name_prefix="chiiki-photo")


def _checked_and_clean(data: bytes) -> tuple[str, bytes]:
    return photo_media_type(data), strip_exif(data)


async def clean_photo(data: bytes) -> tuple[str, bytes]:
    """(media type, the photo without EXIF) as `photo_media_type` and `strip_exif` give them,
    decoded in the photo pool (at most PHOTO_DECODES_AT_ONCE at a time): NotAPhotoError."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_decoder(), _checked_and_clean, data)


def _degrees(value: object, ref: object) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    total = degrees + minutes / 60 + seconds / 3600
    if total != total:  # NaN: a rational with denominator 0
        return None
    return -total if ref in ("S", "W") else total


def photo_location(data: bytes) -> tuple[float, float] | None:
    """(latitude, longitude) the camera wrote into the photo's EXIF, or None: for a flow that
    offers the resident to use it as the place, before `strip_exif` removes it."""
    with _open(data) as image:
        try:
            gps = image.getexif().get_ifd(_GPS_IFD)
        except _DAMAGED:
            return None
    if not all(tag in gps for tag in (_LAT, _LON)):
        return None
    latitude = _degrees(gps[_LAT], gps.get(_LAT_REF))
    longitude = _degrees(gps[_LON], gps.get(_LON_REF))
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude
