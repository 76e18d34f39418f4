"""Two-factor login with a TOTP code app, on top of django-otp.

Staff may turn it on for themselves; a school may require it for leadership.
A user who has a confirmed device, or who is required to have one, reaches
nothing but these pages and logout until the session is verified.
"""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolplan import roles
from schoolplan.access import school_of

INVALID_CODE = gettext_lazy(
    "The code is wrong or too old. Enter the code the app shows now."
)
CODE_THROTTLED = gettext_lazy(
    "Too many wrong codes in a row. Wait a minute, then enter the newest code."
)
REQUIRED_CANNOT_DISABLE = gettext_lazy(
    "Your school requires two-factor login for leadership, so it cannot be turned off."
)

# Session key marking that this login needs no code (no device, not required).
# A device added later in another session takes effect at the next login.
SESSION_CLEARED_KEY = "two_factor_cleared_for"

# Paths an unverified user may still open (besides static files).
OPEN_URL_NAMES = ("logout", "totp_setup", "totp_verify")


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code from the app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the six digits the app shows.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )


def _check_code(device: TOTPDevice, form: CodeForm) -> bool:
    """Verify the code; django-otp slows down repeated failures per device."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        form.add_error("code", CODE_THROTTLED)
        return False
    if not device.verify_token(form.cleaned_data["code"].strip()):
        form.add_error("code", INVALID_CODE)
        return False
    return True


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_required(user) -> bool:
    school = school_of(user)
    return (
        school is not None
        and school.require_two_factor_for_leadership
        and roles.is_leadership(user)
    )


class TwoFactorMiddleware:
    """Send a user who must verify a code to the verify or setup page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        cleared = request.session.get(SESSION_CLEARED_KEY) == user.pk
        if user.is_authenticated and not cleared and not user.is_verified():
            if not self._is_open(request):
                target = self._target(user)
                if target is not None:
                    query = urlencode({"next": request.get_full_path()})
                    return redirect(f"{reverse(target)}?{query}")
                # Nothing to verify for this login; later requests skip the lookups.
                request.session[SESSION_CLEARED_KEY] = user.pk

        return self.get_response(request)

    def _is_open(self, request) -> bool:
        if request.path.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return True
        return match.url_name in OPEN_URL_NAMES

    def _target(self, user) -> str | None:
        if confirmed_device(user) is not None:
            return "totp_verify"
        if is_required(user):
            return "totp_setup"
        return None


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return reverse("schoolplan:pupil_list")


def account(request):
    context = {
        "device": confirmed_device(request.user),
        "required": is_required(request.user),
    }
    return render(request, "registration/account.html", context)


def totp_setup(request):
    if confirmed_device(request.user) is not None:
        return redirect("account")

    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Kode-app"}
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _check_code(device, form):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor login is on."))
            return redirect(_safe_next(request))

    # The QR code holds only the otpauth URL, drawn as SVG paths by segno.
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)
    context = {
        "form": form,
        "qr_svg": mark_safe(qr_svg),
        "secret": _grouped_secret(device),
        "required": is_required(request.user),
        "next": _safe_next(request),
    }
    return render(request, "registration/totp_setup.html", context)


def _grouped_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_verify(request):
    device = confirmed_device(request.user)
    if device is None:
        return redirect(_safe_next(request))

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _check_code(device, form):
            otp_login(request, device)
            return redirect(_safe_next(request))

    return render(
        request,
        "registration/totp_verify.html",
        {"form": form, "next": _safe_next(request)},
    )


def totp_disable(request):
    if request.method != "POST":
        return redirect("account")
    if is_required(request.user):
        raise PermissionDenied(REQUIRED_CANNOT_DISABLE)

    TOTPDevice.objects.filter(user=request.user).delete()
    messages.success(request, _("Two-factor login is off."))
    return redirect("account")
