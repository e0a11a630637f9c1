"""Votes arriving at the same moment on real PostgreSQL connections: a double click stays one vote and the
denormalised count matches the vote rows."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kunde.contacts.models import Person
from kunde.core.testing.factories import make_person
from kunde.ideas.models import Idea, Vote
from kunde.ideas.services import idea_submit, idea_vote

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer; the race needs PostgreSQL"),
]


def test_simultaneous_votes_count_each_person_once(world, anna):
    idea = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    clicker = make_person(world.owner, last_name="Doppelklick")
    others = [make_person(world.owner, last_name=f"Stimme{number}") for number in range(3)]
    voters = [clicker, clicker, clicker, *others]
    barrier = threading.Barrier(len(voters))
    outcomes: list[bool] = []
    lock = threading.Lock()

    def vote(person_id: int) -> None:
        try:
            barrier.wait()
            added = idea_vote(actor=None, idea=Idea.objects.get(pk=idea.pk),
                              person=Person.objects.get(pk=person_id))
            with lock:
                outcomes.append(added)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(person.pk,)) for person in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == [False, False, True, True, True, True]
    assert Vote.objects.filter(idea=idea, person=clicker).count() == 1
    assert Idea.objects.get(pk=idea.pk).vote_count == Vote.objects.filter(idea=idea).count() == 5
