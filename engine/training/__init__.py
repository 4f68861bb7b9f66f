"""Training the embedded default: a procedural captioned world and one trainer per unCLIP stage."""
