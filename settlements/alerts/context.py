from django.utils.functional import SimpleLazyObject

from settlements.alerts.services import unread_count


def unread_notices(request):
    """The signed-in user's unread notices for the navigation; counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notices": SimpleLazyObject(lambda: unread_count(user))}
