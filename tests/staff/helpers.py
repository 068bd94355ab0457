"""Signing staff in for tests that are not about signing in (those go through the real login form)."""

from django.test import Client


def sign_in_verified(client: Client, user) -> None:
    client.force_login(user)
