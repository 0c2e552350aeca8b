"""Quantitative imaging: IBSI 1 features and clinical PET metrics per segment and image (issue 13)."""
