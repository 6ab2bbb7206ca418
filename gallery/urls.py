from django.urls import path

from gallery import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
