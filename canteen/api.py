"""The kitchen's own system posts the day's attendance: `Authorization: Bearer <code>` (a code the office issued for
one school), JSON (`{"righe": [{"codice_fiscale", "data", "presenza", "tipo_pasto"}]}`) or CSV as the upload takes
it. All rows valid → applied at once (200, with what was debited); any invalid row → nothing applied (422, every
row's problem with its number). 401 without a live code, 429 past the rate limit, 413 over 5 MB; every call logged."""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.client_ip import client_ip
from portal.errors import DomainError

from .services import attendance
from .services.kitchen import (
    attendance_receive,
    kitchen_call_log,
    kitchen_rate_exceeded,
    kitchen_token_check,
    rows_from_json,
)


def _answer(token, request, status: int, body: dict, **log) -> JsonResponse:
    kitchen_call_log(token=token, remote_addr=client_ip(request), status=status, **log)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def attendance_post(request: HttpRequest) -> JsonResponse:
    token = kitchen_token_check(request.headers.get("Authorization", ""))
    if token is None:
        return _answer(None, request, 401, {"errore": "Codice d'accesso mancante, errato o revocato."}, detail="token")
    if kitchen_rate_exceeded(token):
        return _answer(token, request, 429, {"errore": "Troppe chiamate: riprova tra un minuto."}, detail="rate")
    content = request.body
    if len(content) > attendance.MAX_FILE_BYTES:
        return _answer(token, request, 413, {"errore": "Al massimo 5 MB per chiamata."}, detail="size")
    try:
        if request.content_type == "application/json":
            try:
                raw = rows_from_json(json.loads(content or b"null"))
            except (ValueError, UnicodeDecodeError):
                return _answer(token, request, 400, {"errore": "JSON non valido."}, detail="json")
        else:
            raw = attendance.rows_read(content)
        batch, errors, result = attendance_receive(raw=raw, school=token.school, content=content)
    except DomainError as error:
        return _answer(token, request, 400, {"errore": str(error)}, detail=str(error))
    if errors:
        failure: dict[str, object] = {
            "errore": "Righe non valide: nessuna presenza registrata.",
            "righe_con_errori": errors,
        }
        return _answer(token, request, 422, failure, rows=len(raw), errors=len(errors), detail="rows")
    if batch is None or result is None:  # pragma: no cover - no errors means applied
        return _answer(token, request, 500, {"errore": "Errore interno."}, detail="internal")
    body: dict[str, object] = {
        "righe": len(raw),
        "addebitati": result.debited,
        "stornati": result.reversed,
        "invariati": result.unchanged,
        "file": batch.pk,
    }
    return _answer(token, request, 200, body, rows=len(raw), batch=batch)
