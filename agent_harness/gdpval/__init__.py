"""Out-of-domain evaluation on GDPval-format tasks (the public GDPval schema)."""
