"""The domain audit trail: who opened, searched, changed or exported which pupil."""

from schoolplan.models import AccessLogEntry, Pupil


def record_access(
    user, action: str, *, pupil: Pupil | None = None, what: str = ""
) -> None:
    """Append one row to the access log. `what` must not hold note text."""
    AccessLogEntry.objects.create(
        user=user if user.is_authenticated else None,
        pupil=pupil,
        action=action,
        what=what[:300],
    )
