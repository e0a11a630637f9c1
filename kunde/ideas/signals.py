"""Keep `Idea.vote_count` equal to the vote rows when votes disappear by cascade.

A person deleted for good (erasure, purge) takes their votes with them through the
database cascade, past the vote services; Django still sends `post_delete` per vote,
and this is the one place that decrements the count for every deletion, the services'
own included.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F

from kunde.ideas.models import Idea, Vote


def vote_deleted(sender: type[Vote], instance: Vote, **kwargs: Any) -> None:
    Idea.objects.filter(pk=instance.idea_id, vote_count__gt=0).update(vote_count=F("vote_count") - 1)
