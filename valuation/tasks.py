"""Celery tasks of the valuation: take ids, call one service."""

from celery import shared_task

from .models import JobStatus, ValuationJob
from .services import valuation_job_run


@shared_task(
    bind=True, acks_late=True, max_retries=2, default_retry_delay=30, soft_time_limit=600, time_limit=900
)
def valuation_job_run_task(self, job_id: int) -> dict:
    try:
        job = valuation_job_run(job_id=job_id)
    except Exception as exc:
        ValuationJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED)
        raise self.retry(exc=exc) from exc
    return {"job": job.pk, "done": job.done, "failed": job.failed}
