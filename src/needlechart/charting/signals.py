"""Events other apps react to without charting knowing them."""

from django.dispatch import Signal

# Sent inside the signing transaction, after the note is frozen: note=Note, and for each signing
# contributor (charting.signing) key=bool, whether the visit recorded any of its rows: needling=bool.
note_signed = Signal()
