"""Module logic that imports the MedImgAI logic layer on first use.

The logic layer needs torch and MONAI, which a fresh Slicer does not have: the panel must open, and offer to
install them, before anything imports them.
"""

__all__ = ["lazyLogic"]


def lazyLogic(className):
    """A read-only property holding one MedImgAILogic.<className>() per module logic, made on first access."""
    cacheName = f"_lazy{className}"

    def get(self):
        if getattr(self, cacheName, None) is None:
            import MedImgAILogic

            setattr(self, cacheName, getattr(MedImgAILogic, className)())
        return getattr(self, cacheName)

    return property(get, doc=f"MedImgAILogic.{className}, imported on first use")
