"""The bench database's content, written with bulk inserts: a school year, schools and classes, services and
tariffs, routes, families and enrollments in a realistic mix."""

import datetime
import random
import secrets
from decimal import Decimal

FIRST = [
    *("Marco", "Luca", "Giulia", "Sofia", "Aurora", "Alice", "Matteo", "Lorenzo"),
    *("Anna", "Chiara", "Pietro", "Elena", "Tommaso", "Sara", "Nicola", "Irene"),
]
LAST = [
    *("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    *("Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa", "Rizzo", "Fontana"),
]


def data_generate(*, rows: int, schools: int, seed: int = 2026) -> dict:
    """Everything with bulk inserts; returns the ids the measurements need."""
    from accounts.models import Child, Guardianship, User
    from enrollment.models import (
        Enrollment,
        MedicalDiet,
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

    rnd = random.Random(seed)
    year = SchoolYear.objects.create(
        name="2026/2027", starts_on=datetime.date(2026, 9, 14), ends_on=datetime.date(2027, 6, 10)
    )
    nurseries = 3
    school_rows = School.objects.bulk_create(
        School(
            name=f"{'Nido' if n < nurseries else 'Scuola primaria'} plesso {n + 1}",
            kind=School.Kind.NIDO if n < nurseries else School.Kind.PRIMARIA,
            ministry_code=f"BGEE{n:05d}X",
        )
        for n in range(schools)
    )
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school=school, name=f"{grade}{section}")
        for school in school_rows
        for grade, section in zip("12345", "AABBC", strict=True)
    )
    classes_of: dict[int, list] = {}
    for school_class in classes:
        classes_of.setdefault(school_class.school_id, []).append(school_class)
    services = {
        kind: Service.objects.create(kind=kind, name=name)
        for kind, name in (
            (ServiceKind.CANTEEN, "Mensa scolastica"),
            (ServiceKind.TRANSPORT, "Trasporto scolastico"),
            (ServiceKind.NURSERY, "Asilo nido"),
        )
    }
    nido, primary = school_rows[:nurseries], school_rows[nurseries:]
    services[ServiceKind.CANTEEN].schools.add(*primary)
    services[ServiceKind.TRANSPORT].schools.add(*primary)
    services[ServiceKind.NURSERY].schools.add(*nido)
    for service in services.values():
        plan = TariffPlan.objects.create(service=service, school_year=year)
        TariffBand.objects.bulk_create(
            [
                TariffBand(plan=plan, isee_from=Decimal(0), isee_to=Decimal(10000), amount=Decimal("2.50")),
                TariffBand(plan=plan, isee_from=Decimal(10000), isee_to=None, amount=Decimal("4.50")),
            ]
        )
    routes = Route.objects.bulk_create(Route(school_year=year, name=f"Linea {n + 1}", capacity=400) for n in range(20))
    stops = Stop.objects.bulk_create(
        Stop(
            route=route,
            order=order,
            name=f"Fermata {order} linea {route.name[6:]}",
            outbound_time=datetime.time(7, 10 + order * 5),
            return_time=datetime.time(16, 50 - order * 5),
        )
        for route in routes
        for order in range(1, 9)
    )
    stops_of: dict[int, list] = {}
    for stop in stops:
        stops_of.setdefault(stop.route_id, []).append(stop)

    office = User.objects.create_superuser("BNCHFF80A01H501X", "ufficio@bench.example.it", secrets.token_urlsafe(16))

    # Who goes where: a nursery child has the nursery; a school child the canteen and, one in two, transport.
    plan: list[tuple] = []
    total = 0
    while total < rows:
        school = rnd.choice(nido) if rnd.random() < 0.05 else rnd.choice(primary)
        if school.kind == School.Kind.NIDO:
            kinds = [ServiceKind.NURSERY]
        else:
            kinds = [ServiceKind.CANTEEN, *([ServiceKind.TRANSPORT] if rnd.random() < 0.5 else [])]
        kinds = kinds[: rows - total]
        plan.append((school, rnd.choice(classes_of[school.pk]), kinds))
        total += len(kinds)
    children_count = len(plan)
    parents_count = int(children_count / 1.6)
    parents = User.objects.bulk_create(
        (
            User(
                codice_fiscale=f"BNCADL{n:010d}",
                email=f"genitore{n}@bench.example.it",
                first_name=rnd.choice(FIRST),
                last_name=rnd.choice(LAST),
                password="!",
            )
            for n in range(parents_count)
        ),
        batch_size=2000,
    )
    children = Child.objects.bulk_create(
        (
            Child(
                codice_fiscale=f"BNCCHD{n:010d}",
                first_name=rnd.choice(FIRST),
                last_name=rnd.choice(LAST),
                birth_date=datetime.date(2015, 1, 1) + datetime.timedelta(days=rnd.randint(0, 3000)),
                sex=rnd.choice("MF"),
            )
            for n in range(children_count)
        ),
        batch_size=2000,
    )
    Guardianship.objects.bulk_create(
        (
            Guardianship(adult=parents[n % parents_count], child=child, role=Guardianship.Role.REFERENCE)
            for n, child in enumerate(children)
        ),
        batch_size=2000,
    )

    Status, Diet, DietStatus = Enrollment.Status, Enrollment.Diet, Enrollment.DietStatus
    now = datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC)
    status_mix = {
        ServiceKind.CANTEEN: ([Status.ACCEPTED, Status.SUBMITTED, Status.REJECTED, Status.WITHDRAWN], [50, 45, 2, 3]),
        ServiceKind.TRANSPORT: (
            [Status.ACCEPTED, Status.SUBMITTED, Status.WAITLISTED, Status.WITHDRAWN],
            [80, 10, 7, 3],
        ),
        ServiceKind.NURSERY: ([Status.ACCEPTED, Status.SUBMITTED, Status.WAITLISTED], [70, 10, 20]),
    }
    diets = ([Diet.NONE, Diet.NO_PORK, Diet.VEGETARIAN, Diet.NO_MEAT, Diet.OTHER, Diet.MEDICAL], [85, 5, 4, 1, 1, 4])
    enrollments = []

    def add(child, kind, school, school_class) -> None:
        status = rnd.choices(*status_mix[kind])[0]
        number = len(enrollments) + 1
        fields = {
            "child": child,
            "service": services[kind],
            "school_year": year,
            "status": status,
            "protocol": f"ISC-2026-{number:06d}",
            "school": school,
            "school_class": school_class,
            "resident": rnd.random() < 0.95,
            "isee_presented": rnd.random() < 0.6,
            "tariff_amount": Decimal("2.50"),
            "tariff_steps": [{"code": "total", "amount": "2.50"}],
            "created_by": office,
            "submitted_by": office,
            "submitted_at": now + datetime.timedelta(seconds=number),
            "declarations_accepted_at": now,
        }
        if fields["isee_presented"]:
            fields.update(
                isee_amount=Decimal(rnd.randint(3000, 40000)),
                isee_protocol=f"INPS-ISEE-2026-{number:08d}A-00",
                isee_expires_on=datetime.date(2026, 12, 31),
            )
        if kind in (ServiceKind.CANTEEN, ServiceKind.NURSERY):
            diet = rnd.choices(*diets)[0]
            fields["diet"] = diet
            if diet != Diet.NONE:
                fields["diet_status"] = DietStatus.ACCEPTED if rnd.random() < 0.85 else DietStatus.REQUESTED
                fields["diet_note"] = "senza manzo" if diet == Diet.OTHER else ""
        if kind == ServiceKind.TRANSPORT:
            route = rnd.choice(routes)
            fields.update(
                route=route,
                stop=rnd.choice(stops_of[route.pk]),
                direction=rnd.choice(Enrollment.Direction.values),
                pickup_adults="Nonna Maria, CI AB1234567\nZio Paolo, CI CD7654321" if rnd.random() < 0.3 else "",
            )
        if kind == ServiceKind.NURSERY:
            fields["pickup_adults"] = "Nonno Carlo, CI EF1234567"
        if status in (Status.ACCEPTED, Status.REJECTED):
            fields["decided_at"] = now + datetime.timedelta(days=10)
        enrollments.append(Enrollment(**fields))

    for child, (school, school_class, kinds) in zip(children, plan, strict=True):
        for kind in kinds:
            add(child, kind, school, school_class)
    created = Enrollment.objects.bulk_create(enrollments, batch_size=2000)
    MedicalDiet.objects.bulk_create(
        (
            MedicalDiet(enrollment=e, details="Allergia alle proteine del latte vaccino; no frutta a guscio.")
            for e in created
            if e.diet == Diet.MEDICAL
        ),
        batch_size=2000,
    )
    submitted_canteen = [
        e.pk for e in created if e.status == Status.SUBMITTED and e.service_id == services[ServiceKind.CANTEEN].pk
    ]
    rnd.shuffle(submitted_canteen)
    return {
        "year": year,
        "office": office,
        "schools": [s.pk for s in school_rows],
        "routes": [r.pk for r in routes],
        "submitted_canteen": submitted_canteen,
        "enrollments": len(created),
        "children": len(children),
        "parents": len(parents),
    }
