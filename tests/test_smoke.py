from django.urls import reverse


def test_pupil_list_lists_own_group(client_for, teacher, pupil, other_pupil):
    response = client_for(teacher).get(reverse("schoolplan:pupil_list"))

    assert response.status_code == 200
    assert "Søren Ærø" in response.content.decode()
    assert "Åse Østergaard" not in response.content.decode()
