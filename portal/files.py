"""Private files (health certificates, notices, receipts): unguessable names, and no file outliving a rollback.

MEDIA is never served directly: no URL maps MEDIA_URL, and the proxy in front must not map MEDIA_ROOT either.
Every private file is read by a view that checks who asks, and the name a person sees when downloading comes
from that view (Content-Disposition), never from storage.
"""

import secrets
from pathlib import PurePosixPath

from django.utils import timezone
from django.utils.deconstruct import deconstructible


@deconstructible
class RandomFileName:
    """`upload_to` for private files: `<folder>/<year>/<month>/<random token><extension>`.

    The stored name says nothing about what is inside (no id, IUV, codice avviso or file name typed by someone)
    and cannot be guessed from another one: 32 random bytes, URL-safe. The extension is the given one, else the
    uploaded name's (lower case).
    """

    def __init__(self, folder: str, extension: str = "") -> None:
        self.folder = folder.strip("/")
        self.extension = extension

    def __call__(self, instance: object, filename: str) -> str:
        extension = self.extension or PurePosixPath(filename or "").suffix.lower()[:8]
        month = timezone.localdate().strftime("%Y/%m")
        return f"{self.folder}/{month}/{secrets.token_urlsafe(32)}{extension}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomFileName) and (self.folder, self.extension) == (other.folder, other.extension)

    def __hash__(self) -> int:
        return hash((self.folder, self.extension))
