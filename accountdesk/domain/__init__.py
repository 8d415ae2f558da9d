"""Pure domain rules (no database, no Qt, no network): the one place for a rule that the
laptop's services and the sync server both apply."""
