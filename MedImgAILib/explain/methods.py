"""The explanation methods by name (kept free of torch so the command line can list them cheaply)."""

__all__ = ["METHODS"]

METHODS = ("gradcam", "gradcampp", "gradient", "smoothgrad", "ig", "occlusion", "tta", "mcdropout",
           "modality-attribution")
