from django.urls import path

from . import views

urlpatterns = [
    path(".well-known/privacy-proofs/keys.json", views.keys, name="proof-keys"),
    path("transparency/heads/latest", views.head_latest, name="transparency-head-latest"),
    path("transparency/heads/<int:size>", views.head_by_size, name="transparency-head"),
    path("transparency/proof/inclusion", views.proof_inclusion, name="transparency-inclusion"),
    path("transparency/proof/consistency", views.proof_consistency, name="transparency-consistency"),
    path("certificates/<uuid:pk>.jws", views.certificate, name="certificate-signed"),
    path("verify/", views.verify, name="verify"),
]
