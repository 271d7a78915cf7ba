from django.urls import path

from settlements import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("now/", views.import_now, name="now"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/report.csv", views.import_report, name="report"),
]
