"""bot/images.py: a photo's real type from its bytes, and a copy without EXIF, upright."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import threading

import pytest
from PIL import Image

from bot import images
from bot.images import (
    MAX_LOSSLESS_PIXELS,
    MAX_PHOTO_PIXELS,
    PHOTO_DECODES_AT_ONCE,
    NotAPhotoError,
    clean_photo,
    photo_location,
    photo_media_type,
    strip_exif,
)

ORIENTATION, MAKE, GPS = 0x0112, 0x010F, 0x8825


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneMaker"
    gps = exif.get_ifd(GPS)
    gps[1], gps[2] = "N", (36.0, 14.0, 24.0)  # 36.24
    gps[3], gps[4] = "E", (137.0, 58.0, 12.0)  # 137.97
    return exif


def photo(form: str, orientation: int = 1, **extra: object) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (40, 20), (200, 10, 10))
    image.save(out, form, exif=exif_with_gps(orientation), **extra)
    return out.getvalue()


@pytest.mark.parametrize("form", ["JPEG", "PNG", "WEBP"])
def test_strip_exif_removes_the_position_and_keeps_the_picture(form: str) -> None:
    original = photo(form, comment=b"home address") if form == "JPEG" else photo(form)
    assert photo_location(original) == pytest.approx((36.24, 137.97))
    clean = strip_exif(original)
    assert photo_media_type(clean) == photo_media_type(original)
    with Image.open(io.BytesIO(clean)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (40, 20)
        assert "comment" not in image.info
        red, green, blue = image.convert("RGB").getpixel((20, 10))  # type: ignore[misc]
        assert red > 150 and green < 60 and blue < 60
    assert b"PhoneMaker" not in clean and b"home address" not in clean
    assert photo_location(clean) is None


def test_a_photo_taken_sideways_is_turned_upright_as_its_orientation_goes() -> None:
    clean = strip_exif(photo("JPEG", orientation=6))  # 6: rotate 90° clockwise to view
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (20, 40)
        assert ORIENTATION not in image.getexif()


def test_the_declared_type_is_never_what_decides() -> None:
    assert photo_media_type(photo("PNG")) == "image/png"
    for fake in (b"\xff\xd8\xff\xe0 just text", b"GIF89a" + bytes(50), b"<svg></svg>", b""):
        with pytest.raises(NotAPhotoError):
            photo_media_type(fake)
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(NotAPhotoError):
        photo_media_type(gif.getvalue())  # a real picture, but not a kind we take


def test_a_picture_with_too_many_pixels_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    side = int(MAX_PHOTO_PIXELS**0.5) + 100
    Image.new("1", (side, side)).save(out, "PNG")  # a few kilobytes on the wire
    with pytest.raises(NotAPhotoError, match="pixels"):
        strip_exif(out.getvalue())


def noisy(form: str, **extra: object) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (40, 30), os.urandom(40 * 30 * 3)).save(out, form, **extra)
    return out.getvalue()


@pytest.mark.parametrize(
    "damaged",
    [
        pytest.param(lambda: noisy("PNG")[:700], id="png-cut-in-its-data"),
        pytest.param(lambda: noisy("WEBP", exif=b"Exif\x00\x00NOT A TIFF"), id="webp-bad-exif"),
        pytest.param(lambda: noisy("JPEG")[:300], id="jpeg-cut-short"),
    ],
)
def test_a_damaged_picture_is_refused_as_damaged_never_with_pillows_own_error(
    damaged: object,
) -> None:
    # Pillow raised OSError or SyntaxError here (the handler answered with its apology).
    data = damaged()  # type: ignore[operator]
    with pytest.raises(NotAPhotoError):
        strip_exif(data)
    with contextlib.suppress(NotAPhotoError):  # too short to be read as a picture at all
        assert photo_location(data) is None


def test_a_lossless_picture_over_16_megapixels_is_refused_before_decoding() -> None:
    # A 100 KB WebP of 49 megapixels took 1 GB and 4 s to rewrite.
    side = int(MAX_LOSSLESS_PIXELS**0.5) + 10
    for form in ("PNG", "WEBP"):
        out = io.BytesIO()
        Image.new("L" if form == "PNG" else "RGB", (side, side)).save(out, form)
        with pytest.raises(NotAPhotoError, match="16,000,000 pixels"):
            strip_exif(out.getvalue())
    assert MAX_LOSSLESS_PIXELS < MAX_PHOTO_PIXELS  # a phone's JPEG may still be larger


def test_the_first_frame_only_of_an_animated_picture_is_kept() -> None:
    frames = [Image.new("RGB", (40, 30), (10 * i, 0, 0)) for i in range(30)]
    for form in ("PNG", "WEBP"):
        out = io.BytesIO()
        frames[0].save(out, form, save_all=True, append_images=frames[1:])
        with Image.open(io.BytesIO(strip_exif(out.getvalue()))) as clean:
            assert getattr(clean, "n_frames", 1) == 1


async def test_photos_are_decoded_one_at_a_time_however_many_arrive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each decode may take hundreds of MB: a burst of uploads queues instead of adding up."""
    inside, most, release = 0, 0, threading.Event()
    lock = threading.Lock()
    original = images.strip_exif

    def counted(data: bytes) -> bytes:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        release.wait(timeout=10)
        with lock:
            inside -= 1
        return original(data)

    monkeypatch.setattr(images, "strip_exif", counted)
    photos = [asyncio.create_task(clean_photo(noisy("JPEG"))) for _ in range(6)]
    for _ in range(50):  # let the worker threads start what they may
        await asyncio.sleep(0.01)
    started = most
    release.set()
    cleaned = await asyncio.gather(*photos)
    assert started == PHOTO_DECODES_AT_ONCE == 1
    assert most == 1 and all(media == "image/jpeg" for media, _ in cleaned)
