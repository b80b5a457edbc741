"""Family page fragments that load their own data, so the page's view stays as it is."""

from django import template

from accounts.selectors import invitations_pending_for_user

register = template.Library()


@register.inclusion_tag("accounts/_invitations_pending.html", takes_context=True)
def pending_invitations(context, child) -> dict:
    """The child's invitations still waiting for an answer, with their revoke buttons (for its reference)."""
    request = context["request"]
    return {
        "child": child,
        "invitations": list(invitations_pending_for_user(user=request.user, child=child)),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
