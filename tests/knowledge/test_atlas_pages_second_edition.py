"""The atlas pages show what the second edition's data says: each pattern drawn on its own, the
non-compressible reason, the muscles physiotherapists do not needle, what kind each source is and
which facts are unverified."""

from __future__ import annotations

from django.urls import reverse


def _page(client_for, practitioner, muscle_id: str) -> str:
    response = client_for(practitioner).get(reverse("muscle_detail", args=[muscle_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_muscle_with_two_patterns_draws_each_on_its_own_map(client_for, practitioner):
    body = _page(client_for, practitioner, "gluteus_minimus")
    assert 'data-testid="pattern-anterior"' in body and 'data-testid="pattern-posterior"' in body
    assert body.count('data-testid="bodymap"') == 2
    anterior, posterior = body.split('data-testid="pattern-posterior"')
    assert 'class="region essential" data-region="leg_lateral_r"' in anterior
    assert 'class="region essential" data-region="leg_lateral_r"' not in posterior
    assert 'class="region essential" data-region="calf_r"' in posterior
    assert body.count('data-testid="prevalence"') == 2


def test_the_page_says_why_bleeding_cannot_be_stopped_by_pressure(client_for, practitioner):
    body = _page(client_for, practitioner, "lateral_pterygoid")
    assert 'data-testid="non-compressible"' in body and "pterygoid venous plexus" in body
    assert "Pterygoid venous plexus" in body and "Maxillary artery" in body
    assert 'data-testid="non-compressible"' not in _page(client_for, practitioner, "first_dorsal_interosseous")


def test_levator_ani_says_it_is_not_needled_and_gives_no_needle_lengths(client_for, practitioner):
    body = _page(client_for, practitioner, "levator_ani")
    assert 'data-testid="not-needled"' in body and "Not needled by physiotherapists" in body
    assert "Needle lengths in common use" not in body
    atlas = client_for(practitioner).get(reverse("atlas"), {"q": "levator ani"}).content.decode()
    assert "Not needled by physiotherapists" in atlas


def test_sources_say_what_kind_they_are_and_unverified_facts_are_labelled(client_for, practitioner):
    body = _page(client_for, practitioner, "scalenes")
    kinds = body.count('data-testid="source-kind"')
    assert kinds >= 3  # the textbook, the website and the course material at least
    assert "course material, not peer reviewed" in body and "textbook" in body and "website" in body
    # the course material's structures are unverified; the phrenic nerve (Standring) is not
    risks = body.split("Structures at risk</h2>")[1].split("</ul>")[0]
    phrenic = risks.split("Phrenic nerve")[1].split("</li>")[0]
    brachial = risks.split("Brachial plexus")[1].split("</li>")[0]
    assert 'data-testid="unverified"' in brachial and 'data-testid="unverified"' not in phrenic
    longus = _page(client_for, practitioner, "longus_colli")
    assert 'data-testid="referral-unverified"' in longus
    assert 'data-testid="referral-unverified"' not in _page(client_for, practitioner, "upper_trapezius")


def test_a_preprint_is_labelled_where_it_is_cited(client_for, practitioner):
    body = _page(client_for, practitioner, "rhomboids")
    assert "preprint, not peer reviewed" in body
