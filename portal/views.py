from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("accounts:family")
    return render(request, "portal/home.html")


@require_GET
def accessibility(request):
    return render(request, "portal/accessibility.html")


@never_cache
@require_GET
def healthz(request):
    """For load balancers: 200 while the database answers; a broker outage only degrades (the outbox waits)."""
    checks = {"database": health.database_status(), "broker": health.broker_status()}
    healthy = checks["database"] == "ok"
    status = "ok" if healthy and checks["broker"] != "error" else ("degraded" if healthy else "error")
    return JsonResponse({"status": status, **checks}, status=200 if healthy else 503)
