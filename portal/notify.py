"""One message to a parent on the channels they chose (e-mail, the app IO, or both; until they choose, what the
office set for the kind in the admin, else NOTIFY_DEFAULT_CHANNEL): written in the caller's transaction, delivered
after commit.

"IO only" keeps the e-mail written but held: it goes if IO cannot take the message (not on IO, service switched
off, refused, unreachable for IO_GIVE_UP_HOURS), and is marked not needed once IO has it. A kind without an IO
message, or an IO service without a key, is e-mail only.
"""

from dataclasses import dataclass, replace

from django.conf import settings

from . import mail
from .io import IoContent, io_enqueue_many
from .models import NotificationDefault, NotificationPreference, NotifyChannel, NotifyKind


@dataclass(frozen=True)
class Notification:
    user_id: int | None
    kind: str
    email: mail.TemplateEmail | None
    io: IoContent | None = None


def default_channels() -> dict[str, str]:
    """The office's channel for each kind (admin: NotificationDefault), else NOTIFY_DEFAULT_CHANNEL."""
    chosen = dict(NotificationDefault.objects.values_list("kind", "channel"))
    return {kind: chosen.get(kind, settings.NOTIFY_DEFAULT_CHANNEL) for kind in NotifyKind.values}


def channels_for(*, user_ids: set[int], kind: str) -> dict[int, str]:
    """Each user's channel for the kind (their choice, else the office's default)."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list("user_id", "channel")
    )
    default = default_channels()[kind] if user_ids else settings.NOTIFY_DEFAULT_CHANNEL
    return {pk: chosen.get(pk, default) for pk in user_ids}


def io_available(service: str) -> bool:
    return bool((settings.IO_SERVICES.get(service) or {}).get("key"))


def notify_many(items: list[Notification]) -> int:
    """Write every notification's e-mail and IO message as its user's channel says; returns the rows written."""
    channels: dict[tuple[int, str], str] = {}
    for kind in {item.kind for item in items}:
        users = {item.user_id for item in items if item.kind == kind and item.user_id is not None}
        channels |= {(pk, kind): channel for pk, channel in channels_for(user_ids=users, kind=kind).items()}
    emails: list[mail.TemplateEmail] = []
    ios: list[tuple[IoContent, int | None]] = []  # (content, index of its held e-mail)
    for item in items:
        channel = channels[(item.user_id, item.kind)] if item.user_id is not None else NotifyChannel.EMAIL
        io = item.io if item.io is not None and io_available(item.io.service) else None
        wants_io = io is not None and channel in (NotifyChannel.IO, NotifyChannel.BOTH)
        held_index = None
        if item.email is not None and (not wants_io or channel == NotifyChannel.BOTH):
            emails.append(item.email)
        elif item.email is not None:  # IO only: the e-mail waits for IO's answer
            held_index = len(emails)
            emails.append(replace(item.email, held=True))
        if wants_io and io is not None:
            ios.append((io, held_index))
    created = mail.email_enqueue_many(emails) if emails else []
    if ios:
        io_enqueue_many([(io, created[index] if index is not None else None) for io, index in ios])
    return len(created) + len(ios)


def preferences_for(*, user_id: int) -> dict[str, str]:
    """The user's channel for every kind (their choice, else the default)."""
    chosen = dict(NotificationPreference.objects.filter(user_id=user_id).values_list("kind", "channel"))
    return {kind: chosen.get(kind, default) for kind, default in default_channels().items()}


def preferences_save(*, user_id: int, choices: dict[str, str]) -> None:
    """Record the user's channels (every kind given must be a NotifyKind, every channel a NotifyChannel)."""
    if set(choices) - set(NotifyKind.values) or set(choices.values()) - set(NotifyChannel.values):
        raise ValueError("unknown kind or channel")
    for kind, channel in choices.items():
        NotificationPreference.objects.update_or_create(user_id=user_id, kind=kind, defaults={"channel": channel})
