"""The API's throttles are the site's limits (gallery.limits): one budget per user."""

from gallery.limits import RenderThrottle, TokenThrottle, UploadThrottle

__all__ = ["RenderThrottle", "TokenThrottle", "UploadThrottle"]
