"""The wizard's transport pages: route, stop and direction, adults who pick the child up."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ... import selectors
from ...models import Enrollment, ServiceKind
from .common import StepForm, no_control_characters, radio

PICKUP_MAX_LINES = 10
PICKUP_LINE_MAX = 150


class RouteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        taken, capacity = selectors.route_seats_count(route=obj)
        free = max(capacity - taken, 0)
        if free == 0:
            return gettext("%(name)s — posti esauriti: la domanda andrà in lista d'attesa") % {"name": obj.name}
        return gettext("%(name)s — %(free)s posti liberi su %(capacity)s") % {
            "name": obj.name,
            "free": free,
            "capacity": capacity,
        }


class RouteForm(StepForm):
    route = RouteChoiceField(
        label=_("Linea"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Scegli la linea."),
            "invalid_choice": _("Questa linea non serve la scuola scelta: scegli una delle linee elencate."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["route"]).queryset = selectors.route_list(enrollment=self.enrollment)

    def initial_from(self, enrollment):
        return {"route": enrollment.route_id}

    def data_for_update(self) -> dict:
        route = self.cleaned_data["route"]
        data = {"route": route}
        if route.pk != self.enrollment.route_id:
            data["stop"] = None  # a stop belongs to one route
        return data


class StopChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        times = []
        if obj.outbound_time:
            times.append(gettext("andata %(time)s") % {"time": obj.outbound_time.strftime("%H:%M")})
        if obj.return_time:
            times.append(gettext("ritorno %(time)s") % {"time": obj.return_time.strftime("%H:%M")})
        name = f"{obj.name}, {obj.address}" if obj.address else obj.name
        return f"{name} ({', '.join(times)})" if times else name


class StopForm(StepForm):
    stop = StopChoiceField(
        label=_("Fermata"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Scegli la fermata.")},
    )
    direction = radio(
        [
            (Enrollment.Direction.BOTH, _("Andata e ritorno")),
            (Enrollment.Direction.OUTBOUND, _("Solo andata, da casa a scuola")),
            (Enrollment.Direction.RETURN, _("Solo ritorno, da scuola a casa")),
        ],
        _("Percorso"),
        error_messages={
            "required": _("Scegli il percorso."),
            "invalid_choice": _("Scegli uno dei percorsi elencati."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        route = self.enrollment.route
        field = cast(forms.ModelChoiceField, self.fields["stop"])
        field.queryset = selectors.stop_list(route=self.enrollment.route_id)
        field.error_messages["invalid_choice"] = _(
            "La fermata scelta non è sulla linea «%(route)s»: scegli una delle fermate elencate."
        ) % {"route": route.name if route else ""}

    def initial_from(self, enrollment):
        return {"stop": enrollment.stop_id, "direction": enrollment.direction or None}


class PickupForm(StepForm):
    pickup_adults = forms.CharField(
        label=_("Adulti autorizzati a ritirare il bambino alla fermata"),
        required=False,
        max_length=PICKUP_MAX_LINES * (PICKUP_LINE_MAX + 2),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Uno per riga: nome, cognome e documento d'identità. Ad esempio: Anna Verdi, C.I. CA12345AB."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.enrollment.service.kind == ServiceKind.NURSERY:
            self.fields["pickup_adults"].label = _("Adulti autorizzati a ritirare il bambino al nido")

    def initial_from(self, enrollment):
        return {"pickup_adults": enrollment.pickup_adults}

    def clean_pickup_adults(self) -> str:
        text = no_control_characters(self.cleaned_data["pickup_adults"])
        lines = [" ".join(line.split()) for line in text.splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > PICKUP_MAX_LINES:
            raise ValidationError(
                _("Al massimo %(n)s adulti, uno per riga.") % {"n": PICKUP_MAX_LINES}, code="too_many"
            )
        if any(len(line) > PICKUP_LINE_MAX for line in lines):
            raise ValidationError(_("Una riga è troppo lunga: scrivi un adulto per riga."), code="line_too_long")
        if not lines and self.enrollment.direction != Enrollment.Direction.OUTBOUND:
            if self.enrollment.service.kind == ServiceKind.NURSERY:
                message = _(
                    "Scrivi almeno un adulto, anche solo te: il bambino viene affidato solo a chi è indicato qui."
                )
            else:
                message = _(
                    "Scrivi almeno un adulto, anche solo te: al ritorno il bambino viene consegnato solo a chi è "
                    "indicato qui."
                )
            raise ValidationError(message, code="required")
        return "\n".join(lines)
