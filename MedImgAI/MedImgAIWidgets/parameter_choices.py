"""Parameter values that a combo box bound through Slicer's parameterNodeWrapper can show.

A parameter annotated with ``Choice`` is shown by Slicer's combo-box connector, whose ``write()`` raises ValueError
for a value that is not among the choices, e.g. a preset that a scene saved by an older MedImgAI names and this
version no longer has. ``connectGui`` writes every value into its widget, so one such value leaves the whole panel
unbound. ``resetValuesOutsideChoices`` puts such values back to their defaults; call it before ``connectGui``.

Only the wrapper's public API is used (``allParameters``, ``dataType``, ``default``, ``getValue``, ``setValue``),
the same in Slicer 5.8, 5.10 and 5.12.
"""

from slicer.parameterNodeWrapper import Choice, findFirstAnnotation, splitAnnotations

__all__ = ["choicesOf", "resetValuesOutsideChoices"]


def choicesOf(dataType):
    """The choices of a ``Choice``-annotated parameter type, or None when the type has no ``Choice``."""
    _, annotations = splitAnnotations(dataType)
    choice = findFirstAnnotation(annotations, Choice)
    return None if choice is None else choice.choices


def resetValuesOutsideChoices(parameterNode) -> list[str]:
    """Reset every ``Choice`` parameter whose stored value is not among its choices to its default.

    parameterNode is a parameterNodeWrapper instance. Returns the names of the parameters that were reset, in
    declaration order; the node is modified (and its observers told) once, whatever the number reset.
    """
    outside = []
    for name in parameterNode.allParameters:
        choices = choicesOf(parameterNode.dataType(name))
        if choices is None:
            continue
        try:
            inside = parameterNode.getValue(name) in choices
        except (TypeError, ValueError):  # a stored text that does not even read as the parameter's type
            inside = False
        if not inside:
            outside.append(name)
    if outside:
        wasModifying = parameterNode.StartModify()
        try:
            for name in outside:
                parameterNode.setValue(name, parameterNode.default(name).value)
        finally:
            parameterNode.EndModify(wasModifying)
    return outside
