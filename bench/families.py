"""Families for the benchmarks: `count` adults of reference with one child each, bulk-created in the caller's
transaction (no signals, no services) — the start of every benchmark that needs many families. Call it after
`django.setup()`."""

from collections.abc import Callable

BATCH = 2000


def families_bulk_create(
    *,
    count: int,
    adult_cf: Callable[[int], str],
    child_cf: Callable[[int], str],
    email: Callable[[int], str],
    child_first_name: str = "Bambino",
    sex: str = "F",
) -> tuple[list, list]:
    """(adults, children), the n-th adult the reference of the n-th child; n from 0 to count-1 names them."""
    from accounts.models import Child, Guardianship, User

    adults = User.objects.bulk_create(
        [
            User(codice_fiscale=adult_cf(n), email=email(n), password="!", first_name="Genitore", last_name=f"N{n}")
            for n in range(count)
        ],
        batch_size=BATCH,
    )
    children = Child.objects.bulk_create(
        [
            Child(
                codice_fiscale=child_cf(n),
                first_name=child_first_name,
                last_name=f"N{n}",
                birth_date="2018-01-01",
                sex=sex,
            )
            for n in range(count)
        ],
        batch_size=BATCH,
    )
    Guardianship.objects.bulk_create(
        [Guardianship(adult=a, child=c, role="reference") for a, c in zip(adults, children, strict=True)],
        batch_size=BATCH,
    )
    return adults, children
