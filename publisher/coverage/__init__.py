"""Stage 3b: every number of every report accounted for: published, excluded with a reason, or not yet."""
