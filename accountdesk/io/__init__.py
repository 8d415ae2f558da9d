"""AccountDesk io."""
