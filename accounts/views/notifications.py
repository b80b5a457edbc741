"""The parent's notification preferences: for each kind of message, e-mail, the app IO, or both."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal.models import NotifyChannel, NotifyKind
from portal.notify import io_available, preferences_for, preferences_save


class PreferencesForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotifyKind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=NotifyChannel.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": gettext_lazy("Scegli come ricevere questi messaggi."),
                    "invalid_choice": gettext_lazy("Scegli una delle possibilità elencate."),
                },
            )


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    form = PreferencesForm(request.POST or None, initial=preferences_for(user_id=request.user.pk))
    if request.method == "POST" and form.is_valid():
        preferences_save(user_id=request.user.pk, choices=form.cleaned_data)
        messages.success(request, _("Preferenze salvate."))
        return redirect("accounts:notification_preferences")
    context = {"form": form, "io_on": any(io_available(kind) for kind in ("canteen", "transport", "nursery"))}
    return render(request, "accounts/notification_preferences.html", context, status=400 if form.errors else 200)
