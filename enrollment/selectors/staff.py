"""Reads for school staff: their role, and the schools and routes whose files they may download (404 otherwise)."""

from django.http import Http404

from accounts.models import User

from ..models import Route, School, SchoolStaff


def school_staff_get(*, user: User) -> SchoolStaff:
    """The user's school staff role, or 404: the schools' page is only for them."""
    staff = SchoolStaff.objects.filter(user=user).first()
    if staff is None:
        raise Http404
    return staff


def school_get_for_staff(*, staff: SchoolStaff, pk: int) -> School:
    """One of the staff's schools; any other school is a 404."""
    school = staff.schools.filter(pk=pk).first()
    if school is None:
        raise Http404
    return school


def route_get_for_staff(*, staff: SchoolStaff, pk: int) -> Route:
    route = staff.routes.select_related("school_year").filter(pk=pk).first()
    if route is None:
        raise Http404
    return route
