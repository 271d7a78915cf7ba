from settlements.exports.models import ExportJob


def exports_of(user):
    """The user's exports, newest first (nobody else's)."""
    return ExportJob.objects.filter(user=user).order_by("-created_at")


def export_of(user, token) -> ExportJob | None:
    return ExportJob.objects.filter(user=user, token=token).first()
