"""Factories for enrollment tests (shared by the wizard, office and payments tests).

Plain factory_boy factories for every model, and helpers that build a whole family or a submitted enrollment
directly (fast, no services): `child_of`, `enrollment_make`. For the realistic path use the services.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Child, Guardianship, User
from enrollment.models import (
    Enrollment,
    EnrollmentWindow,
    Route,
    School,
    SchoolClass,
    SchoolYear,
    Service,
    ServiceKind,
    Stop,
    TariffBand,
    TariffPlan,
)

# Canteen bands used across tests: [0, 7.500) 2,50 · [7.500, 15.000) 3,50 · [15.000, ∞) 4,50 a pasto.
CANTEEN_BANDS = [("0", "7500", "2.50"), ("7500", "15000", "3.50"), ("15000", None, "4.50")]
TRANSPORT_BANDS = [("0", "10000", "150.00"), ("10000", None, "250.00")]
NURSERY_BANDS = [("0", "12000", "180.00"), ("12000", "25000", "300.00"), ("25000", None, "420.00")]


class SchoolYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ("name",)

    class Params:
        start = 2026

    name = factory.LazyAttribute(lambda o: f"{o.start}/{o.start + 1}")
    starts_on = factory.LazyAttribute(lambda o: datetime.date(o.start, 9, 14))
    ends_on = factory.LazyAttribute(lambda o: datetime.date(o.start + 1, 6, 10))


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"Scuola primaria Gianni Rodari {n}")
    kind = School.Kind.PRIMARIA
    ministry_code = factory.Sequence(lambda n: f"RMEE{n:05d}X")
    address = "Via delle Scuole 1"


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"{n % 5 + 1}{'ABCDE'[n // 5 % 5]}")


class ServiceFactory(factory.django.DjangoModelFactory):
    """One per kind (kind is unique): asking twice gives the same service."""

    class Meta:
        model = Service
        django_get_or_create = ("kind",)
        skip_postgeneration_save = True

    kind = ServiceKind.CANTEEN
    name = factory.LazyAttribute(
        lambda o: {"canteen": "Mensa scolastica", "transport": "Trasporto scolastico", "nursery": "Asilo nido"}[o.kind]
    )
    instalments = factory.LazyAttribute(lambda o: 3 if o.kind == ServiceKind.TRANSPORT else 1)

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        if create and extracted:
            self.schools.add(*extracted)


class EnrollmentWindowFactory(factory.django.DjangoModelFactory):
    """Open now by default: from a week ago to a month from now."""

    class Meta:
        model = EnrollmentWindow
        django_get_or_create = ("service", "school_year")

    service = factory.SubFactory(ServiceFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


class TariffPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffPlan
        django_get_or_create = ("service", "school_year")

    service = factory.SubFactory(ServiceFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    no_isee_amount = None
    non_resident_amount = None
    sibling_second_percent = 20
    sibling_third_percent = 30


class TariffBandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffBand

    plan = factory.SubFactory(TariffPlanFactory)
    isee_from = Decimal("0.00")
    isee_to = None
    amount = Decimal("1.00")


def plan_with_bands(*, service, school_year, bands=CANTEEN_BANDS, **fields) -> TariffPlan:
    """A plan with its bands given as (from, to or None, amount) strings."""
    plan = TariffPlanFactory(service=service, school_year=school_year, **fields)
    for start, end, amount in bands:
        TariffBandFactory(
            plan=plan,
            isee_from=Decimal(start),
            isee_to=None if end is None else Decimal(end),
            amount=Decimal(amount),
        )
    return plan


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route
        skip_postgeneration_save = True

    school_year = factory.SubFactory(SchoolYearFactory)
    name = factory.Sequence(lambda n: f"Linea {n + 1}")
    capacity = 3

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        if create and extracted:
            self.schools.add(*extracted)


class StopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stop

    route = factory.SubFactory(RouteFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Fermata {n + 1}")
    address = "Piazza Grande"
    outbound_time = datetime.time(7, 30)
    return_time = datetime.time(16, 30)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    codice_fiscale = factory.Sequence(lambda n: f"TSTADL{n:010d}")
    email = factory.Sequence(lambda n: f"adulto{n}@example.it")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Verdi{n}")


class ChildFactory(factory.django.DjangoModelFactory):
    """A child with a CF of the right shape (not a real one: fast for thousands of rows)."""

    class Meta:
        model = Child

    codice_fiscale = factory.Sequence(lambda n: f"TSTCHD{n:010d}")
    first_name = factory.Sequence(lambda n: ["Luca", "Sara", "Marco", "Elena", "Paolo"][n % 5])
    last_name = "Verdi"
    birth_date = datetime.date(2018, 5, 3)
    sex = Child.Sex.MALE


def child_of(adult: User, *, role: str = Guardianship.Role.REFERENCE, **fields) -> Child:
    """A child whose active guardian (of reference by default) is `adult`."""
    child = ChildFactory(**fields)
    Guardianship.objects.create(adult=adult, child=child, role=role, granted_by=adult)
    return child


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A draft by default; `enrollment_make` builds a submitted one with its frozen tariff."""

    class Meta:
        model = Enrollment

    child = factory.SubFactory(ChildFactory)
    service = factory.SubFactory(ServiceFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    created_by = factory.SubFactory(UserFactory)
    resident = True
    isee_presented = False


_protocols = iter(range(900000, 10**6))


def enrollment_make(*, status: str = Enrollment.Status.SUBMITTED, submitted_at=None, **fields) -> Enrollment:
    """An enrollment already in `status` (submitted by its creator, tariff frozen at 2,50 €), without services."""
    fields.setdefault("tariff_amount", Decimal("2.50"))
    fields.setdefault("tariff_steps", [{"code": "total", "amount": "2.50"}])
    if status != Enrollment.Status.DRAFT:
        fields.setdefault("protocol", f"ISC-2026-{next(_protocols):06d}")
        fields.setdefault("submitted_at", submitted_at or timezone.now())
    enrollment = EnrollmentFactory(status=status, **fields)
    if enrollment.submitted_at and enrollment.submitted_by_id is None:
        enrollment.submitted_by_id = enrollment.created_by_id
        enrollment.save(update_fields=["submitted_by"])
    return enrollment


def draft_ready(
    *,
    user: User,
    child: Child,
    service: Service,
    school_year: SchoolYear,
    school: School,
    school_class: SchoolClass | None = None,
    resident: bool = True,
    isee: Decimal | None = None,
    isee_expires_on: datetime.date | None = None,
    route: Route | None = None,
    stop: Stop | None = None,
    direction: str = Enrollment.Direction.BOTH,
    staff: bool = False,
) -> Enrollment:
    """A draft filled through the services, ready to submit (the realistic path of the wizard)."""
    from enrollment import services

    enrollment = services.enrollment_draft_start(
        user=user, child_id=child.pk, service_id=service.pk, school_year_id=school_year.pk, staff=staff
    )
    services.enrollment_draft_update(
        enrollment=enrollment,
        user=user,
        step="school",
        data={"school": school, "school_class": school_class, "resident": resident},
    )
    isee_data = {"isee_presented": isee is not None}
    if isee is not None:
        isee_data.update(
            isee_amount=isee,
            isee_protocol="INPS-ISEE-2026-12345678A-00",
            isee_expires_on=isee_expires_on or datetime.date(school_year.starts_on.year + 1, 12, 31),
        )
    services.enrollment_draft_update(enrollment=enrollment, user=user, step="isee", data=isee_data)
    if service.kind == ServiceKind.TRANSPORT:
        route = route or Route.objects.filter(school_year=school_year).order_by("pk").first()
        services.enrollment_draft_update(
            enrollment=enrollment,
            user=user,
            step="transport",
            data={"route": route, "stop": stop or route.stops.order_by("order").first(), "direction": direction},
        )
    enrollment.refresh_from_db()
    return enrollment
