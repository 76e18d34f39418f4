from schoolplan import roles


def staff_role(request):
    """Expose the user's role to templates, for navigation and buttons."""
    role = roles.role_of(request.user) if hasattr(request, "user") else None
    return {
        "user_role": role,
        "user_role_label": roles.ROLE_LABELS.get(role, ""),
        "user_is_leadership": role == roles.LEADERSHIP,
        "user_edits_front_page": role in (roles.COORDINATOR, roles.LEADERSHIP),
    }
