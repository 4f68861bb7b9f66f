"""The loader's public names, kept where engine/__init__.py and engine/cli.py import them (engine/families has them)."""
from .families import BundleError, default_bundle_path, fingerprint, load_bundle, resolve, save_bundle

__all__ = ["BundleError", "default_bundle_path", "fingerprint", "load_bundle", "resolve", "save_bundle"]
