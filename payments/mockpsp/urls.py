app_name = "mockpsp"

urlpatterns: list = []
