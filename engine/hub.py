"""The local Hugging Face cache, as the studio imports it (engine/families/cache.py has the lookup)."""
from .families import cached_models as cached_unclip_repos
from .families.cache import cache_dir, looks_like_repo_id, snapshot_folder

__all__ = ["cache_dir", "cached_unclip_repos", "looks_like_repo_id", "snapshot_folder"]
