"""Rotation matrices for oblique test geometry."""

import numpy as np

__all__ = ["rotation_matrix"]


def rotation_matrix(axis, degrees: float) -> np.ndarray:
    """Rodrigues' formula: rotation by degrees about axis."""
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    angle = np.radians(degrees)
    cross = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross
