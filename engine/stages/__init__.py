"""One module per box of the unCLIP diagram: embed → prior → decoder → upsamplers."""
