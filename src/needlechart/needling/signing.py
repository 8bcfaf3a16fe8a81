"""needling's part in signing a visit's note: its facts, judgements and gates.

charting.signing holds the registry (charting is below needling and may not import it);
``NeedlingConfig.ready()`` registers ``SIGNING``.
"""

from __future__ import annotations

from needlechart.charting.signing import SigningContributor
from needlechart.needling.session import SessionState, session_facts, session_judgements, session_state


def _recorded(state: SessionState) -> bool:
    return state.has_needling


SIGNING: SigningContributor[SessionState] = SigningContributor(
    key="needling",  # the canonical form's "needling" facts; note_signed's needling=bool
    read=session_state,
    facts=session_facts,
    judgements=session_judgements,
    problems=SessionState.signing_problems,
    recorded=_recorded,
    # session_state's single rows, read with the visit: the count and aftercare, and the profile
    # whose certifications needling_authorisation reads
    joined=("needling_record", "practitioner__practitioner_profile"),
)
