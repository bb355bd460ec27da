"""Plans: ordered stages with groups and gates, the built-in plans spelled as phoenix.yaml would, a
version hash, and the dry run."""
