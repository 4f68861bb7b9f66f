"""The studio's panels: prompt, sources, settings, canvas, gallery."""
