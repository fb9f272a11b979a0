"""The gate every file a package names passes before anything opens it, and the loaders that
read recipes and descriptors within bounds. Upstream of every stage: build, validate, sync
and the scheduled job all go through it."""
