"""Families CSV import benchmark: 5,000 and 50,000 rows, per-row cost ratio, memory, idempotent re-import.

    .venv/bin/python bench/import_families.py [--small 5000] [--large 50000] [--keep-files]

Generates one CSV (";" separated, UTF-8 with BOM, as Excel writes it) of families with valid codici fiscali
(python-codicefiscale's encode, varied names, dates and places: unique CFs; children born 2010-2024, about
1.6 children per parent; 12 schools, named by ministry code or by name) and takes its first rows for the
small run. Each size is imported into a fresh PostgreSQL database (`portal_bench_import`, created through
the `postgres` database, migrated, dropped at the end, also on failure) by a worker process of its own
(`--worker`), which creates the schools, warms the CF tables, then times `families_import_apply` and
measures the growth of its peak resident memory (ru_maxrss) during the import. The large file is then
imported a second time into the same database: it must change nothing.

Prints rows/second for both sizes, the per-row cost ratio large/small (target <= 1.2), the memory growth
of the large import (target < 100 MB) and the re-import time. Exits 1 when a target is missed.
Talks only to the loopback PostgreSQL; stops by itself (a few minutes, most of it in CF checks).
"""

import os
import sys

# Run as a script, this folder comes first on sys.path, and its http package would shadow the standard library's.
if os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the worker imports the project

import argparse
import base64
import csv
import datetime
import gc
import json
import random
import resource
import secrets
import subprocess
import tempfile
import time
from multiprocessing import Pool

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from bench.database import database_drop, database_recreate, database_url  # noqa: E402

DB_NAME = "portal_bench_import"
VENV_PYTHON = os.path.join(BASE_DIR, ".venv", "bin", "python")
TARGET_RATIO = 1.2
TARGET_MEMORY_MB = 100
HEADER = [
    "cf_genitore",
    "nome_genitore",
    "cognome_genitore",
    "email_genitore",
    "cf_figlio",
    "nome_figlio",
    "cognome_figlio",
    "data_nascita_figlio",
    "scuola",
    "classe",
]


def _words(text: str) -> list[str]:
    return text.split()


SCHOOLS = [(f"BGEE{n:05d}{'ABCDEFGHJKLM'[n]}", f"Scuola primaria plesso {n + 1}") for n in range(12)]
MALE = _words(
    "Marco Luca Giuseppe Francesco Alessandro Andrea Matteo Lorenzo Davide Simone Riccardo Tommaso Leonardo "
    "Gabriele Edoardo Federico Pietro Stefano Paolo Giovanni Antonio Mario Roberto Daniele Filippo Michele "
    "Nicola Emanuele Samuele Diego Cristian Enrico Fabio Giorgio Vincenzo Salvatore Massimo Claudio Alberto Bruno"
)
FEMALE = _words(
    "Giulia Sofia Aurora Alice Ginevra Emma Giorgia Beatrice Anna Chiara Martina Sara Francesca Elena Laura "
    "Valentina Federica Alessia Silvia Paola Maria Lucia Elisa Marta Noemi Camilla Vittoria Ludovica Greta "
    "Matilde Bianca Irene Caterina Rebecca Nicole Arianna Serena Monica Daniela Roberta"
)
SURNAMES = _words(
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti DeLuca Mancini "
    "Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini "
    "Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola DeSantis DAngelo Marchetti Parisi Villa Conte "
    "Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Sala DeAngelis Gatti Pellegrini Palumbo Sanna "
    "Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti "
    "Barone Rossetti Caputo Montanari Guerra Palmieri Bernardi Martino Fiore DeRosa Ferretti Bellini Basile Riva"
)
PLACES = _words(
    "H501 F205 F839 L219 G273 D969 A944 D612 A662 C351 L736 L781 F158 G224 L424 B157 G337 F257 H294 B354 "
    "A271 E506 G478 L049 A794 L840 A479 H199 C933 E463"
)


# --- data ---------------------------------------------------------------------------------------


def _encode(person: tuple) -> str:
    from codicefiscale import codicefiscale

    last, first, sex, born, place = person
    return codicefiscale.encode(lastname=last, firstname=first, gender=sex, birthdate=born, birthplace=place)


def _person(rnd: random.Random, *, surname: str, years: tuple[int, int]) -> tuple:
    sex = rnd.choice("MF")
    first = rnd.choice(MALE if sex == "M" else FEMALE)
    start = datetime.date(years[0], 1, 1).toordinal()
    end = datetime.date(years[1], 12, 31).toordinal()
    born = datetime.datetime.combine(datetime.date.fromordinal(rnd.randint(start, end)), datetime.time())
    return (surname, first, sex, born, rnd.choice(PLACES))


def families_generate(rows: int, seed: int = 2026) -> list[list[str]]:
    """CSV rows (without header) of families with unique valid CFs, at least `rows` of them."""
    rnd = random.Random(seed)
    families = []
    total = 0
    while total < rows * 1.03:  # a few families are dropped below when a CF repeats
        surname = rnd.choice(SURNAMES)
        parent = _person(rnd, surname=surname, years=(1965, 1995))
        count = rnd.choices([1, 2, 3], weights=[50, 40, 10])[0]  # 1.6 children per parent
        children = [_person(rnd, surname=surname, years=(2010, 2024)) for _n in range(count)]
        families.append((parent, children))
        total += count
    people = [person for parent, children in families for person in (parent, *children)]
    with Pool(processes=max(1, min(4, os.cpu_count() or 1))) as pool:
        codes = iter(pool.map(_encode, people, chunksize=500))
    seen: set[str] = set()
    out: list[list[str]] = []
    for number, (parent, children) in enumerate(families):
        parent_cf = next(codes)
        child_cfs = [next(codes) for _child in children]
        if len({parent_cf, *child_cfs} | seen) != len(seen) + 1 + len(child_cfs):
            continue  # a CF already used (same name codes, date and place): skip the family
        seen.update([parent_cf, *child_cfs])
        last, first, _sex, _born, _place = parent
        email = f"{first}.{last}.{number}@example.it".lower() if rnd.random() < 0.7 else ""
        for child, child_cf in zip(children, child_cfs, strict=True):
            child_last, child_first, _sex, born, _place = child
            date = f"{born:%d/%m/%Y}" if rnd.random() < 0.5 else f"{born:%Y-%m-%d}"
            code, name = rnd.choice(SCHOOLS)
            school = code if rnd.random() < 0.5 else name.upper()
            grade = f"{rnd.randint(1, 5)}{rnd.choice('ABCD')}" if rnd.random() < 0.8 else ""
            out.append([parent_cf, first, last, email, child_cf, child_first, child_last, date, school, grade])
    if len(out) < rows:
        raise RuntimeError(f"generated {len(out)} rows, fewer than {rows}")
    return out[:rows]


def csv_write(path: str, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


# --- database -----------------------------------------------------------------------------------


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",  # DEBUG would keep every SQL statement in memory
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # Settings require the TOTP secrets' key when not DEBUG (a Fernet key: 32 random bytes, base64).
            "MFA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DATABASE_URL": database_url(DB_NAME),
            "REDIS_URL": "",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DJANGO_READ_DOT_ENV_FILE", None)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([VENV_PYTHON, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)


def run_worker(env: dict[str, str], path: str) -> dict:
    result = subprocess.run(
        [VENV_PYTHON, os.path.abspath(__file__), "--worker", path],
        cwd=BASE_DIR,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise RuntimeError(f"the import worker exited with status {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the worker: one import in a process of its own ----------------------------------------------


def worker(path: str) -> None:
    import django

    django.setup()
    from accounts.imports import families_import_apply
    from accounts.validators import validate_codice_fiscale
    from enrollment.models import School

    if not School.objects.exists():
        School.objects.bulk_create(
            [School(ministry_code=code, name=name, kind=School.Kind.PRIMARIA) for code, name in SCHOOLS]
        )
    validate_codice_fiscale("RSSMRA80E10H501E")  # loads python-codicefiscale's tables: not the import's cost
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = families_import_apply(file=path, actor=None)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows": report.rows_read,
                "seconds": elapsed,
                "maxrss_growth_kb": after - before,
                "errors": report.error_count,
                "first_errors": report.sorted_errors()[:5],
                "adults_created": report.adults_created,
                "adults_updated": report.adults_updated,
                "children_created": report.children_created,
                "children_updated": report.children_updated,
                "rows_unchanged": report.rows_unchanged,
                "applied": report.applied,
            }
        )
    )


# --- main ---------------------------------------------------------------------------------------


def describe(label: str, result: dict) -> str:
    rate = result["rows"] / result["seconds"]
    memory = result["maxrss_growth_kb"] / 1024
    return (
        f"{label:28} {result['rows']:>7} rows in {result['seconds']:7.1f} s = {rate:7.0f} rows/s; created "
        f"{result['adults_created']} adults, {result['children_created']} children; updated "
        f"{result['adults_updated']}/{result['children_updated']}; peak memory +{memory:.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--keep-files", action="store_true", help="leave the generated CSV files in /tmp")
    parser.add_argument("--worker", metavar="CSV", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return 0

    failures: list[str] = []
    folder = tempfile.mkdtemp(prefix="portal-bench-import-")
    env = bench_env()
    try:
        start = time.perf_counter()
        rows = families_generate(args.large)
        small, large = os.path.join(folder, "famiglie_small.csv"), os.path.join(folder, "famiglie_large.csv")
        csv_write(small, rows[: args.small])
        csv_write(large, rows)
        parents = len({row[0] for row in rows})
        print(
            f"Generated {len(rows)} rows ({parents} parents, {len(rows) / parents:.2f} children each, "
            f"{os.path.getsize(large) / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s into {folder}",
            flush=True,
        )
        results = {}
        for label, path in (("small", small), ("large", large)):
            database_recreate(DB_NAME)
            migrate(env)
            results[label] = run_worker(env, path)
            print(describe(f"import {label}", results[label]), flush=True)
        results["again"] = run_worker(env, large)
        print(describe("re-import large (same DB)", results["again"]), flush=True)
    finally:
        database_drop(DB_NAME)
        if not args.keep_files:
            for name in os.listdir(folder):
                os.unlink(os.path.join(folder, name))
            os.rmdir(folder)

    for label, result in results.items():
        if result["errors"] or not result["applied"]:
            failures.append(f"{label}: {result['errors']} errors, e.g. {result['first_errors']}")
    per_row = {label: result["seconds"] / result["rows"] for label, result in results.items()}
    ratio = per_row["large"] / per_row["small"]
    memory_mb = results["large"]["maxrss_growth_kb"] / 1024
    again = results["again"]
    changes = again["adults_created"] + again["adults_updated"] + again["children_created"] + again["children_updated"]
    print()
    print(f"rows/s: {args.small} rows {1 / per_row['small']:.0f}, {args.large} rows {1 / per_row['large']:.0f}")
    print(f"per-row cost ratio {args.large}/{args.small}: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"peak memory growth during the {args.large}-row import: {memory_mb:.1f} MB (target < {TARGET_MEMORY_MB})")
    print(
        f"re-import of the same {args.large} rows: {again['seconds']:.1f} s ({again['rows'] / again['seconds']:.0f} "
        f"rows/s), {changes} changes, {again['rows_unchanged']} unchanged rows (target: 0 changes)"
    )
    if ratio > TARGET_RATIO:
        failures.append(f"per-row cost ratio {ratio:.2f} > {TARGET_RATIO}")
    if memory_mb >= TARGET_MEMORY_MB:
        failures.append(f"memory growth {memory_mb:.1f} MB >= {TARGET_MEMORY_MB} MB")
    if changes or again["rows_unchanged"] != again["rows"]:
        failures.append(f"re-import changed {changes} records")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("OK" if not failures else "Some targets were missed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
