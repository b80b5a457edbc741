"""Private files (health certificates, notices, receipts): unguessable names, and no file outliving a rollback.

A file written inside a transaction is on disk before the row that names it is committed. If that transaction
(or the savepoint it was written in) rolls back, nothing would remove it: `file_delete_on_rollback` does.

MEDIA is never served directly: no URL maps MEDIA_URL, and the proxy in front must not map MEDIA_ROOT either.
Every private file is read by a view that checks who asks, and the name a person sees when downloading comes
from that view (Content-Disposition), never from storage.
"""

import logging
import secrets
import weakref
from collections.abc import Callable
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
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


logger = logging.getLogger(__name__)


class _Committed:
    """The on_commit callback of one written file: it only records that the transaction committed.

    Django calls it when the transaction commits, and drops it, uncalled, when the transaction or a savepoint
    around its registration rolls back (`run_on_commit` is emptied or filtered). Either way the last reference
    goes, and the finalizer attached to it runs at once: it deletes the file unless the commit happened.
    """

    __slots__ = ("__weakref__", "state")

    def __init__(self, state: dict[str, bool]) -> None:
        self.state = state

    def __call__(self) -> None:
        self.state["committed"] = True


def _delete_unless_committed(state: dict[str, bool], storage: Storage, name: str) -> None:
    if state["committed"]:
        return
    try:
        storage.delete(name)
    except Exception:  # a file that cannot be removed must not turn a rollback into a second error
        logger.exception("Could not delete %s after a rollback", name)
    else:
        logger.info("Deleted %s: the transaction that wrote it was rolled back", name)


def file_delete_on_rollback(*, storage: Storage, name: str, using: str | None = None) -> None:
    """Delete the file `name` (just written to `storage`) if the current transaction does not commit.

    Django has no on_rollback hook: an on_commit callback is registered, and the file is deleted when that
    callback is discarded without having run (a rollback of the transaction, or of any savepoint around this
    call: an atomic block that raised). Outside a transaction (autocommit) there is nothing to undo.
    A process killed mid-transaction deletes it at exit (the finalizer runs then too).
    """
    if not name or not transaction.get_connection(using).in_atomic_block:
        return
    state = {"committed": False}
    marker = _Committed(state)
    weakref.finalize(marker, _delete_unless_committed, state, storage, name)
    transaction.on_commit(marker, using=using)


def field_file_read(field) -> bytes | None:
    """The bytes of a stored FileField value; None when empty or when the file went missing (logged)."""
    if not field:
        return None
    try:
        with field.storage.open(field.name, "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        logger.warning("Stored file %s is missing: it will be made again", field.name)
        return None


def field_file_get_or_make(*, instance, field: str, name: str, make: Callable[[], bytes]) -> bytes:
    """A document stored once on `instance.<field>` (a PDF): read when stored, else made by `make()`, stored under
    `name` (the field's upload_to randomises it) and saved; the file is deleted if the transaction rolls back."""
    file = getattr(instance, field)
    content = field_file_read(file)
    if content is not None:
        return content
    content = make()
    file.save(name, ContentFile(content), save=False)
    file_delete_on_rollback(storage=file.storage, name=file.name)
    instance.save(update_fields=[field])
    return content


def field_file_forget(*, instance, field: str) -> None:
    """Empty `instance.<field>` (the caller saves it): the stored file is deleted once the transaction commits, so
    a document made stale (a notice whose amount changed) is made again and the old one does not stay behind."""
    file = getattr(instance, field)
    if not file:
        return
    storage, name = file.storage, file.name
    setattr(instance, field, "")
    transaction.on_commit(lambda: storage.delete(name))
