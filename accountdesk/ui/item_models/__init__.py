"""Item models over service results (Qt only here; data comes from accountdesk.services)."""
