"""The Celery beat schedule: every periodic job of the portal, read by settings.CELERY_BEAT_SCHEDULE."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "outbox-dispatch-pending": {"task": "portal.tasks.email_dispatch_pending_task", "schedule": 60.0},
    "io-dispatch-due": {"task": "portal.tasks.io_dispatch_due_task", "schedule": 60.0},
    "outbox-purge-sent": {"task": "portal.tasks.email_purge_sent_task", "schedule": crontab(hour=3, minute=15)},
    "payments-publish-pending": {"task": "payments.tasks.notices_publish_pending_task", "schedule": 60.0},
    "payments-nursery-fees": {
        "task": "payments.tasks.nursery_fees_issue_current_month_task",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "payments-expire-overdue": {
        "task": "payments.tasks.notices_expire_overdue_task",
        "schedule": crontab(hour=0, minute=30),
    },
    # Receipts whose push was lost: pulled from the platform, and open positions looked up (issue 12).
    "payments-receipts-pull": {"task": "payments.tasks.receipts_pull_task", "schedule": crontab(minute=20)},
    "payments-positions-sweep": {"task": "payments.tasks.positions_sweep_task", "schedule": crontab(minute=40)},
    # Reconciliation flows (FdR): published by the PSPs in the morning, read at 9 and at 14.
    "payments-fdr-import": {"task": "payments.tasks.fdr_import_task", "schedule": crontab(hour="9,14", minute=5)},
    # The canteen's balances: low-balance e-mails and arrears sollecito, once per crossing (issue 13).
    "canteen-balance-reminders": {
        "task": "canteen.tasks.balance_reminders_task",
        "schedule": crontab(hour=19, minute=0),
    },
    # The SPID registry's identity providers and CIE ID's metadata (issue 15).
    "spid-identity-providers": {
        "task": "spid.tasks.identity_providers_refresh_task",
        "schedule": crontab(hour=4, minute=10),
    },
    # Health data, ISEE values, never-verified accounts past the office's periods (portal.site.retention).
    "retention-purge": {"task": "portal.site.tasks.retention_purge_task", "schedule": crontab(hour=2, minute=40)},
}
