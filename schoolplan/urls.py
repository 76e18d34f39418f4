from django.urls import path

from schoolplan import export_views, privacy_views, views

app_name = "schoolplan"

urlpatterns = [
    path("", views.pupil_list, name="pupil_list"),
    path("<int:pupil_id>/", views.plan, name="plan"),
    path("<int:pupil_id>/notater/nyt/", views.entry_create, name="entry_create"),
    path(
        "<int:pupil_id>/notater/<int:entry_id>/ret/",
        views.entry_edit,
        name="entry_edit",
    ),
    path(
        "<int:pupil_id>/notater/<int:entry_id>/tilfoej/",
        views.entry_amend,
        name="entry_amend",
    ),
    path(
        "<int:pupil_id>/notater/<int:entry_id>/overstreg/",
        views.entry_strike,
        name="entry_strike",
    ),
    path("<int:pupil_id>/forside/", views.front_page_edit, name="front_page_edit"),
    path(
        "<int:pupil_id>/udfordringer/ny/", views.challenge_edit, name="challenge_create"
    ),
    path(
        "<int:pupil_id>/udfordringer/<int:challenge_id>/",
        views.challenge_edit,
        name="challenge_edit",
    ),
    path("<int:pupil_id>/maal/nyt/", views.goal_edit, name="goal_create"),
    path("<int:pupil_id>/maal/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path(
        "<int:pupil_id>/maal/<int:goal_id>/evaluering/",
        views.goal_review_create,
        name="goal_review_create",
    ),
]

urlpatterns += [
    path(
        "<int:pupil_id>/adgangslog/",
        privacy_views.pupil_access_log,
        name="pupil_access_log",
    ),
    path(
        "<int:pupil_id>/indsigt/",
        privacy_views.pupil_data_export,
        name="pupil_data_export",
    ),
]

urlpatterns += [
    path("<int:pupil_id>/pdf/", export_views.plan_export, name="plan_export"),
    path(
        "<int:pupil_id>/pdf/forhaandsvisning/",
        export_views.plan_export_preview,
        name="plan_export_preview",
    ),
    path(
        "<int:pupil_id>/pdf/<int:export_id>/",
        export_views.plan_export_download,
        name="plan_export_download",
    ),
]
