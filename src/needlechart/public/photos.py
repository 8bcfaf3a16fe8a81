"""The clinic's photo on its public pages: checked, then drawn anew before it is stored.

An upload is refused, with a message saying why, when it is too large a file, not a JPEG or PNG
by its first bytes (whatever its name or the browser claim), not an image Pillow can read whole,
or too small or too large in pixels. What is stored is not the upload but the image decoded and
encoded again by Pillow, at most ``MAX_SIDE`` pixels on its long side: nothing of the file but its
pixels survives (no camera or location data, nothing appended to the image), and a phone loads a
reasonable file.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MIN_WIDTH, MIN_HEIGHT = 400, 300
MAX_PIXELS_EACH_WAY = 8000  # bigger than any camera's photo; Pillow's bomb guard stops far worse
MAX_SIDE = 1600
_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
SUFFIXES = {"JPEG": "jpg", "PNG": "png"}


@dataclass(frozen=True)
class Photo:
    """An image ready to store: encoded anew, with its format and size in pixels."""

    content: bytes
    format: str  # JPEG | PNG
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.format]


def checked_photo(upload: UploadedFile[bytes]) -> Photo:
    """``upload`` as a photo to store, or a ``ValidationError`` whose message says what is wrong."""
    size = upload.size or 0
    if size > MAX_BYTES:
        raise ValidationError(
            _("The photo is %(size)s; the limit is %(limit)s.") % {"size": filesizeformat(size), "limit": filesizeformat(MAX_BYTES)}
        )
    head = upload.read(8)
    upload.seek(0)
    kind = next((kind for signature, kind in _SIGNATURES.items() if head.startswith(signature)), None)
    if kind is None:
        raise ValidationError(_("Upload a photo in JPEG or PNG format."))
    image = _decoded(upload, kind)
    width, height = image.size
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValidationError(
            _("The photo is %(width)s × %(height)s pixels; it needs at least %(min_width)s × %(min_height)s.")
            % {"width": width, "height": height, "min_width": MIN_WIDTH, "min_height": MIN_HEIGHT}
        )
    return _encoded(image, kind)


def _decoded(upload: UploadedFile[bytes], kind: str) -> Image.Image:
    """The upload's pixels, read whole; the size in pixels is checked from the header first."""
    damaged = ValidationError(_("The file could not be read as a complete JPEG or PNG image."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload, formats=[kind])
            width, height = image.size
            if width > MAX_PIXELS_EACH_WAY or height > MAX_PIXELS_EACH_WAY:
                raise ValidationError(
                    _("The photo is %(width)s × %(height)s pixels; it may be at most %(most)s pixels either way.")
                    % {"width": width, "height": height, "most": MAX_PIXELS_EACH_WAY}
                )
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise damaged from None
    return image


def _encoded(image: Image.Image, kind: str) -> Photo:
    image = ImageOps.exif_transpose(image)  # a phone's photo stands as it was taken; the tag goes with the rest
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True, progressive=True)
    else:
        keep = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        image.convert(keep).save(out, "PNG", optimize=True)
    return Photo(out.getvalue(), kind, image.width, image.height)
