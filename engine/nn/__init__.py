"""Architectures only: the prior transformer, the UNets and their shared layers (plain torch)."""
