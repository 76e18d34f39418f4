app_name = "absence"

urlpatterns = []
