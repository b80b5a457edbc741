"""The per-family summary cache: what the family page and the payments page read, kept in the shared cache.

A summary is stored per user (a page shows the children the user is a guardian of) and per *part* ("family":
the family page's children, enrollments, balances and open notices; "payments": the payments page's notices
and balances). Its validity is explicit, never a guess from a timeout:

- every user has a *version* key, a random token. The services that change what a family sees call
  `family_versions_bump(user_ids=...)` (through `accounts.services.family_summary_invalidate`, which finds the
  adults of the children they touched): a new token now, and another one after the transaction commits;
- there is one *generation* key for all families, bumped by `family_generation_bump()` when the office changes
  something every family may show (a school's, a service's or a school year's name);
- a summary is stored with the token and generation it was computed under and is used only while both are
  still the current ones. Reading is one round trip (`get_many` of the two tokens and the summary).

Why a token and not a delete: a page that read the database just before a write commits may store what it read
after the write's invalidation ran. Stored under the token it read first, it is never served after the bump
after commit (the token changed). The bump *before* commit keeps pages right when nothing commits (tests run in
one transaction) and costs one more cache write.

Cache down: every cache call is guarded; the page is then computed from the database, as without the cache.
A bump that cannot reach the cache is lost: the timeout (`FAMILY_CACHE_SECONDS`) bounds how long a summary that
survived an outage can be stale.

The cache must be shared by every web process (Redis, as in production and the benchmarks): the embedded
default's in-memory cache is coherent only because one process serves it.

This module is one of portal's helpers: it imports no app (the callers pass ids and the function that computes).
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A summary lives at most this long (seconds): a bound on staleness if an invalidation was lost in an outage.
FAMILY_CACHE_SECONDS = 600
# A version token lives longer than any summary stored under it (a missing token is a miss, never an error).
VERSION_SECONDS = 24 * 3600
GENERATION_KEY = "family:generation"


def version_key(user_id: int) -> str:
    return f"family:version:{user_id}"


def summary_key(user_id: int, part: str) -> str:
    return f"family:summary:{user_id}:{part}"


def _token() -> str:
    return secrets.token_hex(8)


def family_cached(*, user_id: int, part: str, compute: Callable[[], T]) -> T:
    """The `part` summary of the user, from the cache while still valid, else `compute()` (then stored)."""
    vkey, skey = version_key(user_id), summary_key(user_id, part)
    try:
        found = cache.get_many([GENERATION_KEY, vkey, skey])
    except Exception:
        logger.warning("family cache unreachable: %s of user %s computed from the database", part, user_id)
        return compute()
    generation, version, stored = found.get(GENERATION_KEY), found.get(vkey), found.get(skey)
    if version is not None and generation is not None and stored is not None and stored[:2] == (generation, version):
        return stored[2]
    try:
        # Tokens first, then the data: a write that commits meanwhile bumps the token, so the value stored
        # below is never taken for the current one.
        if generation is None:
            generation = _token_ensure(GENERATION_KEY)
        if version is None:
            version = _token_ensure(vkey)
    except Exception:
        logger.warning("family cache unreachable: %s of user %s computed from the database", part, user_id)
        return compute()
    value = compute()
    try:
        cache.set(skey, (generation, version, value), timeout=FAMILY_CACHE_SECONDS)
    except Exception:
        logger.warning("family cache unreachable: %s of user %s not stored", part, user_id)
    return value


def _token_ensure(key: str) -> Any:
    """The key's token, set now if it has none (`add`: two processes starting at once agree on one)."""
    cache.add(key, _token(), timeout=VERSION_SECONDS)
    return cache.get(key)


def _versions_set(user_ids: frozenset[int]) -> None:
    try:
        cache.set_many({version_key(user_id): _token() for user_id in user_ids}, timeout=VERSION_SECONDS)
    except Exception:
        logger.warning("family cache unreachable: the summaries of %s users not invalidated", len(user_ids))


def family_versions_bump(*, user_ids: Iterable[int]) -> None:
    """The summaries of these users are out of date: new tokens now and again after the transaction commits."""
    ids = frozenset(user_id for user_id in user_ids if user_id is not None)
    if not ids:
        return
    _versions_set(ids)
    transaction.on_commit(lambda: _versions_set(ids))


def _generation_set() -> None:
    try:
        cache.set(GENERATION_KEY, _token(), timeout=VERSION_SECONDS)
    except Exception:
        logger.warning("family cache unreachable: the summaries of every family not invalidated")


def family_generation_bump() -> None:
    """Every family's summaries are out of date (the office renamed what they all show)."""
    _generation_set()
    transaction.on_commit(_generation_set)
