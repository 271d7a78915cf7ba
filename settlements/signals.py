"""Carry a user's chosen language into their session when they sign in."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from aidtrack.middleware import LANGUAGE_SESSION_KEY
from settlements.models import UserPreference


@receiver(user_logged_in, dispatch_uid="settlements.remember_language")
def remember_language(sender, request, user, **kwargs):
    language = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
    if language and request is not None:
        request.session[LANGUAGE_SESSION_KEY] = language
