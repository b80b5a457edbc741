"""accounts' pages. The family dashboard (`accounts:family`, /famiglia/) joins this namespace in
portal/site/urls.py, which includes these patterns: it reads apps above accounts."""

from django.urls import URLPattern, path

from .views import activation, family, invitations, mfa, notifications, privacy

app_name = "accounts"

urlpatterns: list[URLPattern] = [
    path("famiglia/profilo/", family.profile_edit, name="profile_edit"),
    path("famiglia/figli/aggiungi/", family.child_add, name="child_add"),
    path("famiglia/figli/<id:pk>/", family.child_detail, name="child_detail"),
    path("consenso/", family.consent, name="consent"),
    path("condizioni-d-uso/", family.terms, name="terms"),
    path("privacy/", family.privacy, name="privacy"),
    path("famiglia/attiva/", activation.activate, name="activate"),
    path("famiglia/figli/<id:pk>/invita/", invitations.invite, name="invite"),
    path("famiglia/inviti/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("famiglia/inviti/<id:pk>/revoca/", invitations.invitation_revoke, name="invitation_revoke"),
    path("famiglia/inviti/<id:pk>/rifiuta/", invitations.invitation_decline, name="invitation_decline"),
    path("famiglia/deleghe/<id:pk>/revoca/", invitations.delegate_revoke, name="delegate_revoke"),
    path("famiglia/notifiche/", notifications.notification_preferences, name="notification_preferences"),
    path("famiglia/privacy/", privacy.privacy_center, name="privacy_center"),
    path("famiglia/privacy/dati.zip", privacy.privacy_export, name="privacy_export"),
    path("famiglia/privacy/cancellazione/", privacy.deletion_request, name="deletion_request"),
    path("sicurezza/conferma-email/", mfa.staff_mfa_email_code, name="staff_mfa_email_code"),
]
