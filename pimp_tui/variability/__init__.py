"""Feature models: metamodel, UVL and FeatureIDE XML I/O, CNF encoding, reasoning and counting."""
