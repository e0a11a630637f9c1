"""Fixed choice lists of the contacts app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Salutation(models.TextChoices):
    NONE = "", _("—")
    MR = "mr", _("Mr")
    MS = "ms", _("Ms")
    MX = "mx", _("Mx")


class Language(models.TextChoices):
    DE = "de", _("German")
    EN = "en", _("English")
    FR = "fr", _("French")
    IT = "it", _("Italian")
    ES = "es", _("Spanish")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    """A way to reach a customer; shared with the history's channels."""

    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    VIDEO = "video", _("Video call")
    CHAT = "chat", _("Chat")
    WEB = "web", _("Web")
    LETTER = "letter", _("Letter")
    EVENT = "event", _("Event")
    SOCIAL = "social", _("Social media")
    SMS = "sms", _("SMS")
    OTHER = "other", _("Other")


class EmailKind(models.TextChoices):
    WORK = "work", _("Work")
    HOME = "home", _("Private")
    OTHER = "other", _("Other")


class PhoneKind(models.TextChoices):
    WORK = "work", _("Work")
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Private")
    FAX = "fax", _("Fax")
    OTHER = "other", _("Other")


class AddressKind(models.TextChoices):
    POSTAL = "postal", _("Postal")
    BILLING = "billing", _("Billing")
    SHIPPING = "shipping", _("Shipping")
    HOME = "home", _("Home")
    WORK = "work", _("Work")


class LegalForm(models.TextChoices):
    NONE = "", _("—")
    GMBH = "GmbH", "GmbH"
    UG = "UG (haftungsbeschränkt)", "UG (haftungsbeschränkt)"
    AG = "AG", "AG"
    KG = "KG", "KG"
    GMBH_CO_KG = "GmbH & Co. KG", "GmbH & Co. KG"
    OHG = "OHG", "OHG"
    GBR = "GbR", "GbR"
    EK = "e.K.", "e.K."
    EV = "e.V.", "e.V."
    EG = "eG", "eG"
    SOLE = "sole", _("Sole proprietor")
    LTD = "Ltd", "Ltd"
    LLC = "LLC", "LLC"
    INC = "Inc.", "Inc."
    PLC = "plc", "plc"
    SA = "SA", "SA"
    OTHER = "other", _("Other")


class CompanySize(models.TextChoices):
    NONE = "", _("—")
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250-999", _("250–999 employees")
    ENTERPRISE = "1000+", _("1000+ employees")
