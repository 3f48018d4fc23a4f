"""Survey definitions (data files in this folder) and their loader/validator."""
