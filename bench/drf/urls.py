from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView

from views import HelloView

urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view()),
    path("hello/", HelloView.as_view()),
]
