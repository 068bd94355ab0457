from django.urls import path

from . import views

app_name = "selfservice"
urlpatterns = [
    path("resend/", views.resend, name="resend"),
    path("referee/<str:token>/", views.referee, name="referee"),
    path("<str:token>/", views.home, name="home"),
    path("<str:token>/code/", views.stepup, name="stepup"),
    path("<str:token>/data/", views.data, name="data"),
    path("<str:token>/correct/", views.correct, name="correct"),
    path("<str:token>/export/", views.export, name="export"),
    path("<str:token>/withdraw/<slug:slug>/", views.withdraw, name="withdraw"),
    path("<str:token>/give/<slug:slug>/", views.give, name="give"),
    path("<str:token>/delete/", views.delete, name="delete"),
    path("<str:token>/signout/", views.signout, name="signout"),
    path("<str:token>/keep/", views.keep, name="keep"),
    path("<str:token>/receipts/<uuid:receipt_id>/", views.receipt, name="receipt"),
    path("<str:token>/choices/<uuid:choice_id>/", views.choice_receipt, name="choice-receipt"),
]
