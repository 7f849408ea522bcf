"""Board sessions of the Bestuurlijk Overleg DTZ: memberships with deputies, agenda, quorum, minutes,
numbered decisions, action items and the date poll."""
