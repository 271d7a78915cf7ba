"""The language switcher: remembered in a cookie, in the session and, for a signed-in user, on
their account so that every browser they use speaks it."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from aidtrack.middleware import LANGUAGE_SESSION_KEY
from settlements.models import UserPreference


@login_required
@require_POST
def switch_language(request):
    # Django's view checks the code, sets the cookie and sends the user back to a safe `next`.
    response = set_language(request)
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        request.session[LANGUAGE_SESSION_KEY] = language
        if request.user.is_authenticated:
            UserPreference.objects.update_or_create(user=request.user, defaults={"language": language})
    return response
