"""The top-level screens of the main window."""
