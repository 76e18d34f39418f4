"""The project's URLs plus a trivial logged-in page, the benchmark's yardstick."""

from django.shortcuts import render
from django.urls import path

from kanonskolen.urls import urlpatterns as project_urlpatterns


def trivial(request):
    return render(request, "base.html", {})


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    *project_urlpatterns,
]
