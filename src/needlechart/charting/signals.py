"""Events other apps react to without charting knowing them."""

from django.dispatch import Signal

# Sent inside the signing transaction, after the note is frozen: note=Note, needling=bool.
note_signed = Signal()
