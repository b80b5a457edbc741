"""Enrollment back-office benchmark: CSV exports, the review list's queries, bulk acceptance.

    .venv/bin/python -m bench.enrollment [--rows 20000] [--schools 40] [--small 500] [--large 5000]

Creates a throw-away PostgreSQL database (`portal_bench_enrollment`, created through the `postgres` database,
migrated, dropped at the end, also on failure) and fills it directly with bulk inserts: one school year, 40
schools with 5 classes each (3 of them nurseries), the three services with their tariff plans, 20 transport
routes of 8 stops, about 8,400 parents and 13,500 children, and 20,000 enrollments with a realistic mix
(canteen for every school child, transport for about half of them, nursery for the nurseries' children; 85%
without a special diet, the rest no pork, vegetarian, no meat, other or medical with its details; statuses
mostly accepted, many submitted, some waitlisted, rejected or withdrawn).

Then, in this process (DEBUG off, Celery's in-memory broker so that e-mails are rendered and queued but not
sent), it measures:
1. bulk acceptance through `enrollments_accept_bulk` of 500 and then 5,000 submitted canteen enrollments (after
   a warm-up of 50): seconds, enrollments/s, and the per-item cost ratio large/small (target <= 1.2);
2. the admin review list (GET /admin/enrollment/enrollment/ as a superuser with TOTP) with 20 and with 100
   rows per page: the number of SQL queries must be the same (constant whatever the page size);
3. each export (roster of all schools, kitchen of a school day without and with names, transport of all routes):
   enrollments read, CSV lines, seconds, rows/s, and the peak memory growth while the whole file is produced
   (tracemalloc, in a second pass; target < 30 MB).

Exit status 1 when a target is missed. Talks only to the loopback PostgreSQL; about a minute or two.

`data` fills the database, `measure` runs the three measurements (in a process of its own, `--measure`),
`__main__` prepares and drops the database.
"""

import datetime

__all__ = ["DB_NAME", "KITCHEN_DAY", "TARGET_MEMORY_MB", "TARGET_RATIO"]

DB_NAME = "portal_bench_enrollment"
TARGET_RATIO = 1.2
TARGET_MEMORY_MB = 30
KITCHEN_DAY = datetime.date(2026, 10, 5)
