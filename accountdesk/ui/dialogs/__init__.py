"""Dialogs of the application shell (first start, login)."""
