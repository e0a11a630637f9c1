"""Fixed choice lists of the customer history."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kunde.contacts.choices import Channel

__all__ = ["Channel", "Direction", "Kind", "Mood"]


class Kind(models.TextChoices):
    """What a history entry records. Other apps add their own kinds as plain strings
    ("sales.deal_stage_changed") through `activity_record`; these are the core ones."""

    CONTACT = "contact", _("Contact")
    TASK = "task", _("Task")
    NOTE = "note", _("Note")


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")
    INTERNAL = "internal", _("Internal")


class Mood(models.IntegerChoices):
    """The customer's mood at a contact, on a 5-point scale."""

    VERY_NEGATIVE = 1, _("Very negative")
    NEGATIVE = 2, _("Negative")
    NEUTRAL = 3, _("Neutral")
    POSITIVE = 4, _("Positive")
    VERY_POSITIVE = 5, _("Very positive")
