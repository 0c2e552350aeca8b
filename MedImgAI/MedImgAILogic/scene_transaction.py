"""All-or-nothing scene changes: nodes added inside the block are removed again if it raises."""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["scene_transaction"]


@contextlib.contextmanager
def scene_transaction(scene) -> Iterator[None]:
    """Undo node additions made in the block when it fails, so a failed operation leaves the scene as it was.

    Only additions are tracked: operations run in a transaction must not modify existing nodes before
    everything that can fail has succeeded.
    """
    before = {scene.GetNthNode(i).GetID() for i in range(scene.GetNumberOfNodes())}
    try:
        yield
    except BaseException:
        added = [
            scene.GetNthNode(i)
            for i in range(scene.GetNumberOfNodes())
            if scene.GetNthNode(i).GetID() not in before
        ]
        for node in reversed(added):
            if node.GetScene() is scene:
                scene.RemoveNode(node)
        raise
