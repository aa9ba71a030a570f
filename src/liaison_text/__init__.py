"""Field-text intelligence that runs locally and imports no Django."""
