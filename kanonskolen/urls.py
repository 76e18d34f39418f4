from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from kanonskolen.forms import LoginForm
from schoolplan import two_factor

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="schoolplan:pupil_list"), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("konto/", two_factor.account, name="account"),
    path("konto/totp/opret/", two_factor.totp_setup, name="totp_setup"),
    path("konto/totp/bekraeft/", two_factor.totp_verify, name="totp_verify"),
    path("konto/totp/slaa-fra/", two_factor.totp_disable, name="totp_disable"),
    path("admin/", admin.site.urls),
    path("elever/", include("schoolplan.urls")),
    path("fravaer/", include("absence.urls")),
    path("opstart/", include("intake.urls")),
]
