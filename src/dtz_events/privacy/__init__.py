"""Privacy: export and erasure per person, retention per kind of event, and the audit log of changes."""
