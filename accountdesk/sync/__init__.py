"""Qt-free synchronisation: the hybrid logical clock, change capture (outbox), wire protocol, engine."""
