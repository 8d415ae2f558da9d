"""Small reusable widgets: badges, search box, empty state, sync indicator."""
