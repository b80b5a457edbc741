"""Demo configuration of the school services (years, windows, schools, services, tariffs, routes) and last year's
enrollments of the demo children.

Idempotent. The years follow today's date: the running school year, and the next one with its enrollment
window open now, so the demo always has something to enroll in.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Child, User
from enrollment import services as enrollment_services
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

SCHOOLS = [
    (
        "RMEE00101X",
        "Scuola primaria Gianni Rodari",
        School.Kind.PRIMARIA,
        "Via dei Pini 3",
        ["1A", "1B", "2A", "2B", "3A", "3B", "4A", "4B", "5A", "5B"],
    ),
    (
        "RMAA00101X",
        "Scuola dell'infanzia Il Girasole",
        School.Kind.INFANZIA,
        "Via delle Rose 12",
        ["Sezione Gialla", "Sezione Verde", "Sezione Blu"],
    ),
    (
        "RMMM00101X",
        "Scuola secondaria Dante Alighieri",
        School.Kind.SECONDARIA,
        "Piazza della Libertà 1",
        ["1A", "2A", "3A"],
    ),
    (
        "NIDO0001",
        "Asilo nido comunale Arcobaleno",
        School.Kind.NIDO,
        "Via dei Tigli 8",
        ["Lattanti", "Semidivezzi", "Divezzi"],
    ),
]

# The nursery's groups, by age in months at the start of the year (from, up to but not including).
NURSERY_GROUP_AGES = {"Lattanti": (3, 12), "Semidivezzi": (12, 24), "Divezzi": (24, 36)}

SERVICES = [
    (
        ServiceKind.CANTEEN,
        "Refezione scolastica",
        1,
        ["RMEE00101X", "RMAA00101X", "RMMM00101X"],
        "Il pranzo a scuola, pagato a pasto dal borsellino prepagato.",
    ),
    (
        ServiceKind.TRANSPORT,
        "Trasporto scolastico",
        2,
        ["RMEE00101X", "RMMM00101X"],
        "Lo scuolabus da casa a scuola e ritorno; la tariffa annuale si paga in due rate.",
    ),
    (
        ServiceKind.NURSERY,
        "Asilo nido comunale",
        1,
        ["NIDO0001"],
        "Il nido per i bambini da 3 a 36 mesi; la retta è mensile.",
    ),
]

# (from, to, amount) per service; sibling reductions; non-resident tariff.
PLANS = {
    ServiceKind.CANTEEN: (
        [(0, 5000, "1.50"), (5000, 10000, "2.80"), (10000, 20000, "3.90"), (20000, None, "4.80")],
        "5.50",
        20,
        30,
    ),
    ServiceKind.TRANSPORT: ([(0, 8000, "120.00"), (8000, 16000, "200.00"), (16000, None, "280.00")], "350.00", 30, 50),
    ServiceKind.NURSERY: (
        [(0, 8000, "100.00"), (8000, 15000, "220.00"), (15000, 25000, "350.00"), (25000, None, "480.00")],
        "520.00",
        10,
        20,
    ),
}

ROUTES = [
    (
        "Linea 1 - Centro",
        30,
        [
            ("Piazza del Municipio", "07:35", "16:40"),
            ("Via Roma 40", "07:42", "16:33"),
            ("Stazione", "07:50", "16:25"),
            ("Scuola Rodari", "08:00", "16:15"),
        ],
    ),
    (
        "Linea 2 - Frazioni",
        2,
        [("Borgo Alto", "07:20", "16:55"), ("Case Sparse", "07:31", "16:44"), ("Scuola Rodari", "07:55", "16:15")],
    ),
]


def school_year_bounds(today: datetime.date) -> tuple[int, int]:
    """The starting calendar years of the running school year and of the next one."""
    running = today.year if today.month >= 9 else today.year - 1
    return running, running + 1


def schools_seed(*, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    running_start, next_start = school_year_bounds(today)
    schools = {code: _school(code, name, kind, address, classes) for code, name, kind, address, classes in SCHOOLS}
    services = {}
    for kind, name, instalments, codes, description in SERVICES:
        service, _ = Service.objects.get_or_create(
            kind=kind, defaults={"name": name, "instalments": instalments, "description": description}
        )
        service.schools.add(*(schools[code] for code in codes))
        services[kind] = service
    years = {}
    for start in (running_start, next_start):
        year, _ = SchoolYear.objects.get_or_create(
            name=f"{start}/{start + 1}",
            defaults={"starts_on": datetime.date(start, 9, 14), "ends_on": datetime.date(start + 1, 6, 9)},
        )
        years[start] = year
        for kind, service in services.items():
            _plan(service, year, *PLANS[kind])
        _routes(year, schools["RMEE00101X"], schools["RMMM00101X"])
    now = timezone.now()
    for service in services.values():
        # The running year's window closed long ago; the next year's is open now for a few weeks.
        EnrollmentWindow.objects.get_or_create(
            service=service,
            school_year=years[running_start],
            defaults={"opens_at": now - datetime.timedelta(days=300), "closes_at": now - datetime.timedelta(days=200)},
        )
        EnrollmentWindow.objects.get_or_create(
            service=service,
            school_year=years[next_start],
            defaults={"opens_at": now - datetime.timedelta(days=3), "closes_at": now + datetime.timedelta(days=60)},
        )
    return {"schools": schools, "services": services, "running": years[running_start], "next": years[next_start]}


def _school(code, name, kind, address, classes) -> School:
    school, _ = School.objects.get_or_create(
        ministry_code=code, defaults={"name": name, "kind": kind, "address": address}
    )
    for class_name in classes:
        ages = NURSERY_GROUP_AGES.get(class_name, (None, None))
        SchoolClass.objects.get_or_create(
            school=school, name=class_name, defaults={"min_age_months": ages[0], "max_age_months": ages[1]}
        )
    return school


def _plan(service, year, bands, non_resident, second, third) -> TariffPlan:
    plan, created = TariffPlan.objects.get_or_create(
        service=service,
        school_year=year,
        defaults={
            "non_resident_amount": Decimal(non_resident),
            "sibling_second_percent": second,
            "sibling_third_percent": third,
        },
    )
    if created:
        TariffBand.objects.bulk_create(
            TariffBand(
                plan=plan,
                isee_from=Decimal(start),
                isee_to=None if end is None else Decimal(end),
                amount=Decimal(amount),
            )
            for start, end, amount in bands
        )
    return plan


def _routes(year, *schools) -> None:
    for name, capacity, stops in ROUTES:
        route, created = Route.objects.get_or_create(school_year=year, name=name, defaults={"capacity": capacity})
        route.schools.add(*schools)
        if created:
            Stop.objects.bulk_create(
                Stop(
                    route=route,
                    order=order,
                    name=stop,
                    outbound_time=datetime.time.fromisoformat(outbound),
                    return_time=datetime.time.fromisoformat(back),
                )
                for order, (stop, outbound, back) in enumerate(stops, start=1)
            )


# Last year's enrollments of the demo children: accepted, so this year's wizard starts prefilled, and the transport
# one has its fee notice (two instalments) waiting to be paid.
DEMO_ENROLLMENTS = [
    # child CF, service kind, school code, class, ISEE, route name (transport), diet
    ("RSSGLI18C52H501V", ServiceKind.CANTEEN, "RMEE00101X", "2A", "9800.00", "", "vegetarian"),
    ("RSSGLI18C52H501V", ServiceKind.TRANSPORT, "RMEE00101X", "2A", "9800.00", "Linea 1 - Centro", "none"),
    ("BNCSFO19A61F205Y", ServiceKind.CANTEEN, "RMEE00101X", "1B", None, "", "none"),
]


def enrollments_seed(*, staff: User, setup: dict) -> None:
    year = setup["running"]
    for child_cf, kind, school_code, class_name, isee, route_name, diet in DEMO_ENROLLMENTS:
        child = Child.objects.filter(codice_fiscale=child_cf).first()
        service = setup["services"][kind]
        if child is None or Enrollment.objects.filter(child=child, service=service, school_year=year).exists():
            continue
        school = setup["schools"][school_code]
        draft = enrollment_services.enrollment_draft_start(
            user=staff, child_id=child.pk, service_id=service.pk, school_year_id=year.pk, staff=True
        )
        school_data = {
            "school": school,
            "school_class": school.classes.filter(name=class_name).first(),
            "resident": True,
        }
        enrollment_services.enrollment_draft_update(enrollment=draft, user=staff, step="school", data=school_data)
        isee_data: dict[str, object] = {"isee_presented": isee is not None}
        if isee is not None:
            expires = datetime.date(year.ends_on.year, 12, 31)
            isee_data |= {
                "isee_amount": Decimal(isee),
                "isee_protocol": "INPS-ISEE-2025-00123456A-00",
                "isee_expires_on": expires,
            }
        enrollment_services.enrollment_draft_update(enrollment=draft, user=staff, step="isee", data=isee_data)
        if kind == ServiceKind.CANTEEN:
            enrollment_services.enrollment_draft_update(enrollment=draft, user=staff, step="diet", data={"diet": diet})
        if route_name:
            route = Route.objects.get(school_year=year, name=route_name)
            transport = {"route": route, "stop": route.stops.order_by("order")[1], "direction": "both"}
            enrollment_services.enrollment_draft_update(enrollment=draft, user=staff, step="transport", data=transport)
        submitted = enrollment_services.enrollment_submit(enrollment=draft, user=staff, declarations=True, staff=True)
        enrollment_services.enrollment_accept(enrollment=submitted, actor=staff)
        if diet != "none":
            enrollment_services.enrollment_diet_decide(enrollment=submitted, actor=staff, accepted=True)
