from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("spoergsmaal/", views.question_set_edit, name="question_set_edit"),
    path("<int:pupil_id>/", views.intake_detail, name="intake_detail"),
    path("<int:pupil_id>/start/", views.intake_start, name="intake_start"),
    path("<int:pupil_id>/udfyld/", views.intake_edit, name="intake_edit"),
    path(
        "<int:pupil_id>/udfyld/<slug:section>/",
        views.intake_section_save,
        name="intake_section_save",
    ),
    path("<int:pupil_id>/skoler/ny/", views.placement_add, name="placement_add"),
    path(
        "<int:pupil_id>/skoler/<int:placement_id>/",
        views.placement_save,
        name="placement_save",
    ),
    path(
        "<int:pupil_id>/skoler/<int:placement_id>/fjern/",
        views.placement_remove,
        name="placement_remove",
    ),
    path("<int:pupil_id>/maal/nyt/", views.goal_add, name="goal_add"),
    path("<int:pupil_id>/maal/<int:first_goal_id>/", views.goal_save, name="goal_save"),
    path(
        "<int:pupil_id>/maal/<int:first_goal_id>/fjern/",
        views.goal_remove,
        name="goal_remove",
    ),
    path("<int:pupil_id>/afslut/", views.intake_finish, name="intake_finish"),
    path(
        "<int:pupil_id>/ret/skoler/ny/",
        views.placement_amend,
        name="placement_amend_new",
    ),
    path(
        "<int:pupil_id>/ret/skoler/<int:placement_id>/",
        views.placement_amend,
        name="placement_amend",
    ),
    path("<int:pupil_id>/ret/<slug:section>/", views.intake_amend, name="intake_amend"),
    path(
        "<int:pupil_id>/opfoelgning/ny/",
        views.follow_up_create,
        name="follow_up_create",
    ),
]
