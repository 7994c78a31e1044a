"""The one error the tracking store raises on purpose (misuse or a file it cannot read)."""

from __future__ import annotations

from genie_enhance.errors import GenieEnhanceError


class TrackingError(GenieEnhanceError):
    """A tracking call that contradicts what the store holds (unknown campaign, iteration not begun, …) or a
    store file written by a newer schema."""
