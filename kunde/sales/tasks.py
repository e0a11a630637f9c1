"""Periodic jobs of sales: forget old web form submissions (the spam log and rate limit counter)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kunde.core.jobs import register_periodic

SUBMISSION_RETENTION = dt.timedelta(days=30)


def purge_form_submissions() -> dict[str, int]:
    """Delete web form submission log rows older than SUBMISSION_RETENTION (the leads stay)."""
    from kunde.sales.models import FormSubmission

    deleted, _detail = FormSubmission.objects.filter(at__lt=timezone.now() - SUBMISSION_RETENTION).delete()
    return {"deleted": deleted}


register_periodic("sales.purge_form_submissions", purge_form_submissions, every=dt.timedelta(days=1),
                  offset=dt.timedelta(hours=4))
