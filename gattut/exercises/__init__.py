"""Checkers for the book's coding exercises, one module per chapter.

A checker runs the reader's function on small inputs and compares it with the
package. When something is wrong it raises :class:`ExerciseError` with a
sentence that says what, in words ("the weights do not sum to one over the
keys: row 0 sums to 1.73"); when everything is right it returns a short
success message. Checkers never print tracebacks of their own making.

    from gattut.exercises import ch01
    ch01.check_masked_softmax(my_masked_softmax)
"""

from gattut.exercises._check import ExerciseError

__all__ = ["ExerciseError"]
