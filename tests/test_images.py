"""bot/images.py: a photo's real type from its bytes, and a copy without EXIF, upright."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.images import (
    MAX_PHOTO_PIXELS,
    NotAPhotoError,
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
