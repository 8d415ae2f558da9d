"""AccountDesk server."""
