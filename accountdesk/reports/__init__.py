"""AccountDesk reports."""
