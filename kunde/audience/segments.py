"""Segments: a JSON definition compiled to one `Q` over `contacts.Person`.

Definition: `{"op": "and"|"or", "rules": [rule | group, ...]}` with a rule
`{"field": ..., "operator": ..., "value": ...}`; groups nest (at most `MAX_DEPTH` deep).

Fields (operators):
- `city`, `postal_code`, `country` (of any of the person's addresses), `preferred_language`,
  `lifecycle_stage`, `customer_group` (keys), `tag` (name), `name`, `email`, `cf_<key>`
  (a custom field defined for people; values are checked against its type): eq, neq, in,
  not_in, contains (text fields), starts_with (postal code), gt/gte/lt/lte (custom fields),
  is_set, is_empty. A person without a value matches neq, not_in and is_empty.
- `activity`: at_least / fewer_than / none with value
  `{"topic", "channel", "kind", "mood" (int or list), "days" (last N days), "times" (N)}`.
- `purchase` (only with the commerce app): at_least / fewer_than / none with value
  `{"category", "product" (id), "days", "since" (ISO date), "times", "min_total" (EUR)}`.
- `rfm_segment` (only with the analytics app): eq, neq, in, not_in, is_set, is_empty with segment
  keys (champions, loyal, at_risk, …); `churn_risk`, `probability_alive`, `next_purchase_probability`
  (0..1) and `predicted_clv` (EUR): gt/gte/lt/lte, is_set, is_empty. A person's scores are their
  own or, for a contact person, those of an organisation they currently work for.
- `binding_cause` (only with the retention app): eq, neq, in, not_in with cause keys (contractual,
  economic, technical, psychological): bound by the cause, derived from the registered evidence or
  set by hand, themselves or through an organisation they currently work for.
- `consent`: valid / not_valid with value `"newsletter"` or `{"purpose", "channel"}`
  (ledger only; the suppression list is checked by `may_contact` at send time).

`{"person_ids": [...]}` is accepted as a fixed list. An empty definition matches nobody.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.audience.models import Segment, SegmentMember
from kunde.contacts.models import Address, EmailAddress, Person
from kunde.core.custom_fields import definitions_for, parse_filter_value
from kunde.core.models import CustomFieldDefinition, model_label

MAX_DEPTH = 5
MAX_RULES = 100

TEXT_OPERATORS = {"eq", "neq", "in", "not_in", "contains", "is_set", "is_empty"}
KEY_OPERATORS = {"eq", "neq", "in", "not_in", "is_set", "is_empty"}
COUNT_OPERATORS = {"at_least", "fewer_than", "none"}
NUMBER_OPERATORS = frozenset({"gt", "gte", "lt", "lte", "is_set", "is_empty"})

FIELDS: dict[str, set[str]] = {
    "city": TEXT_OPERATORS,
    "postal_code": TEXT_OPERATORS | {"starts_with"},
    "country": KEY_OPERATORS,
    "preferred_language": KEY_OPERATORS,
    "lifecycle_stage": KEY_OPERATORS,
    "customer_group": KEY_OPERATORS,
    "tag": {"eq", "neq", "in", "not_in", "is_set", "is_empty"},
    "name": {"eq", "contains"},
    "email": {"eq", "contains", "is_set", "is_empty"},
    "activity": COUNT_OPERATORS,
    "purchase": COUNT_OPERATORS,
    "consent": {"valid", "not_valid"},
    "rfm_segment": KEY_OPERATORS,
    "binding_cause": {"eq", "neq", "in", "not_in"},
    **{name: set(NUMBER_OPERATORS) for name in ("churn_risk", "probability_alive", "next_purchase_probability",
                                            "predicted_clv")},
}
SCORE_FIELDS = {"rfm_segment", "churn_risk", "probability_alive", "next_purchase_probability", "predicted_clv"}
CUSTOM_OPERATORS = TEXT_OPERATORS | {"gt", "gte", "lt", "lte"}
NEGATED = {"neq": "eq", "not_in": "in", "is_empty": "is_set", "not_valid": "valid"}


def field_names() -> list[str]:
    return [*FIELDS, "cf_<key>"]


def _error(path: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}", code="invalid_segment")


# ---------------------------------------------------------------- compile

def compile_definition(definition: Any) -> Q:
    """The `Q` over Person a definition stands for; ValidationError naming the bad rule."""
    if not isinstance(definition, dict):
        raise _error("definition", _("must be an object"))
    if "person_ids" in definition:
        ids = definition["person_ids"]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise _error("person_ids", _("must be a list of ids"))
        return Q(pk__in=ids)
    if not definition or not definition.get("rules"):
        return Q(pk__in=[])
    counter = [0]
    return _group(definition, "rules", 1, counter)


def _group(group: dict[str, Any], path: str, depth: int, counter: list[int]) -> Q:
    if depth > MAX_DEPTH:
        raise _error(path, _("groups may be nested at most %(n)s deep") % {"n": MAX_DEPTH})
    op = group.get("op", "and")
    if op not in {"and", "or"}:
        raise _error(path, _("unknown group operator “%(op)s” (and, or)") % {"op": op})
    rules = group.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _error(path, _("a group needs a non-empty list of rules"))
    combined: Q | None = None
    for index, rule in enumerate(rules):
        rule_path = f"{path}[{index}]"
        counter[0] += 1
        if counter[0] > MAX_RULES:
            raise _error(rule_path, _("at most %(n)s rules") % {"n": MAX_RULES})
        if not isinstance(rule, dict):
            raise _error(rule_path, _("must be an object"))
        q = _group(rule, f"{rule_path}.rules", depth + 1, counter) if "rules" in rule else _rule(rule, rule_path)
        combined = q if combined is None else (combined & q if op == "and" else combined | q)
    assert combined is not None
    return combined


def _rule(rule: dict[str, Any], path: str) -> Q:
    field, operator, value = rule.get("field"), rule.get("operator"), rule.get("value")
    if not isinstance(field, str):
        raise _error(path, _("a rule needs a field"))
    if field.startswith("cf_"):
        allowed = CUSTOM_OPERATORS
    elif field in FIELDS:
        allowed = FIELDS[field]
    else:
        raise _error(path, _("unknown field “%(field)s”; known: %(known)s")
                     % {"field": field, "known": ", ".join(field_names())})
    if operator not in allowed:
        raise _error(path, _("operator “%(op)s” does not apply to %(field)s; use one of: %(known)s")
                     % {"op": operator, "field": field, "known": ", ".join(sorted(allowed))})
    if operator in NEGATED:
        return ~_positive(field, NEGATED[operator], value, path)
    return _positive(field, operator, value, path)


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise _error(path, _("the value must be a non-empty text"))
    return str(value).strip()


def _texts(value: Any, path: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _error(path, _("the value must be a non-empty list"))
    return [_text(item, path) for item in value]


def _int(value: Any, path: str, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _error(path, _("%(name)s must be a whole number of at least %(min)s") % {"name": name, "min": minimum})
    return value


def _simple(lookup_base: str, operator: str, value: Any, path: str, *, through: Any = None,
            iexact: bool = True) -> Q:
    """eq/in/contains/starts_with/is_set on a person column or a related row (`through`)."""
    if operator == "is_set":
        lookups: dict[str, Any] = {f"{lookup_base}__gt": ""}
    elif operator == "eq":
        lookups = {f"{lookup_base}__iexact" if iexact else lookup_base: _text(value, path)}
    elif operator == "in":
        values = _texts(value, path)
        if iexact:
            q = Q()
            for item in values:
                q |= Q(**{f"{lookup_base}__iexact": item})
            return _through(through, q)
        lookups = {f"{lookup_base}__in": values}
    elif operator == "contains":
        lookups = {f"{lookup_base}__icontains": _text(value, path)}
    elif operator == "starts_with":
        lookups = {f"{lookup_base}__istartswith": _text(value, path)}
    else:  # pragma: no cover - guarded by FIELDS
        raise _error(path, operator)
    return _through(through, Q(**lookups))


def _through(through: tuple[Any, str] | None, q: Q) -> Q:
    if through is None:
        return q
    model, person_path = through
    return Q(Exists(model.objects.filter(q, **{person_path: OuterRef("pk")})))


def _positive(field: str, operator: str, value: Any, path: str) -> Q:
    if field in {"city", "postal_code", "country"}:
        return _simple(field, operator, value, path, through=(Address, "person"))
    if field == "email":
        return _simple("email", operator, value, path, through=(EmailAddress, "person"))
    if field == "preferred_language":
        return _simple("preferred_language", operator, value, path, iexact=False)
    if field in {"lifecycle_stage", "customer_group"}:
        if operator == "is_set":
            return Q(**{f"{field}__isnull": False})
        return _simple(f"{field}__key", operator, value, path, iexact=False)
    if field == "tag":
        if operator == "is_set":
            return Q(Exists(Person.tags.through.objects.filter(person=OuterRef("pk"))))
        return _tag(operator, value, path)
    if field == "name":
        text = _text(value, path)
        if operator == "eq":
            parts = text.split()
            if len(parts) > 1:
                return Q(first_name__iexact=" ".join(parts[:-1]), last_name__iexact=parts[-1])
            return Q(last_name__iexact=text) | Q(first_name__iexact=text)
        return Q(first_name__icontains=text) | Q(last_name__icontains=text)
    if field.startswith("cf_"):
        return _custom(_custom_field(field[3:], path), operator, value, path)
    if field == "activity":
        return _activity(operator, value, path)
    if field == "purchase":
        return _purchase(operator, value, path)
    if field == "consent":
        return _consent(value, path)
    if field in SCORE_FIELDS:
        return _score(field, operator, value, path)
    if field == "binding_cause":
        return _binding_cause(operator, value, path)
    raise _error(path, field)  # pragma: no cover


def _tag(operator: str, value: Any, path: str) -> Q:
    names = [_text(value, path)] if operator == "eq" else _texts(value, path)
    q = Q()
    for name in names:
        q |= Q(tag__name__iexact=name)
    return Q(Exists(Person.tags.through.objects.filter(q, person=OuterRef("pk"))))


def _custom_field(key: str, path: str) -> CustomFieldDefinition:
    """The definition of the people's custom field `key`; only defined keys reach the query."""
    definitions = {d.key: d for d in definitions_for(model_label(Person)) if "__" not in d.key}
    if key not in definitions:
        raise _error(path, _("unknown custom field “%(key)s”; defined for people: %(known)s")
                     % {"key": key, "known": ", ".join(f"cf_{k}" for k in sorted(definitions)) or _("none")})
    return definitions[key]


def _custom_value(definition: CustomFieldDefinition, value: Any, path: str) -> Any:
    """`value` in the stored form of the field's type (a number for a number field, …)."""
    if value is None or isinstance(value, dict | list):
        raise _error(path, _("the value must be a text, number or yes/no"))
    try:
        return parse_filter_value(definition, value)
    except ValidationError as error:
        raise _error(path, " ".join(error.messages)) from error


def _custom(definition: CustomFieldDefinition, operator: str, value: Any, path: str) -> Q:
    # Only a defined key without "__" gets here, and every lookup is named explicitly, so a key
    # can never become an ORM lookup of its own (`cf_a__regex`).
    column = f"custom_fields__{definition.key}"
    present = Q(**{f"{column}__isnull": False})  # so neq/not_in/is_empty match people without it
    if operator == "is_set":
        return present & ~Q(**{f"{column}__exact": ""})
    if operator == "in":
        if not isinstance(value, list) or not value:
            raise _error(path, _("the value must be a non-empty list"))
        return present & Q(**{f"{column}__in": [_custom_value(definition, item, path) for item in value]})
    if operator == "contains":
        return present & Q(**{f"{column}__icontains": _text(value, path)})
    typed = _custom_value(definition, value, path)
    if operator == "eq":
        return present & Q(**{f"{column}__exact": typed})
    if isinstance(typed, bool):
        raise _error(path, _("compare numbers, dates or texts, not yes/no"))
    return present & Q(**{f"{column}__{operator}": typed})


def _since(value: dict[str, Any], path: str) -> dt.datetime | None:
    if "days" in value:
        return timezone.now() - dt.timedelta(days=_int(value["days"], path, "days", 1))
    return None


def _count_q(queryset: QuerySet[Any], operator: str, value: dict[str, Any], path: str,
             amount_field: str | None = None) -> Q:
    times = _int(value.get("times", 1), path, "times", 1)
    min_total = value.get("min_total")
    if operator == "none":
        return ~Q(Exists(queryset))
    if min_total is None and times == 1 and operator == "at_least":
        return Q(Exists(queryset))
    grouped = queryset.order_by().values("person_id")
    conditions: list[Any] = []
    count = Coalesce(Subquery(grouped.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
                     Value(0))
    conditions.append(GreaterThanOrEqual(count, times) if operator == "at_least" else LessThan(count, times))
    if min_total is not None and amount_field is not None:
        try:
            total = Decimal(str(min_total))
        except InvalidOperation as error:
            raise _error(path, _("min_total must be an amount")) from error
        summed = Subquery(grouped.annotate(s=Sum(amount_field)).values("s")[:1])
        conditions.append(GreaterThanOrEqual(Coalesce(summed, Value(Decimal(0))), total))
    q = Q()
    for condition in conditions:
        q &= Q(condition)
    return q


def _activity(operator: str, value: Any, path: str) -> Q:
    from kunde.activities.models import Activity

    if not isinstance(value, dict):
        raise _error(path, _("the value must be an object such as {\"topic\": \"rings\", \"days\": 90}"))
    unknown = set(value) - {"topic", "channel", "kind", "mood", "days", "times"}
    if unknown:
        raise _error(path, _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
    rows = Activity.objects.filter(person=OuterRef("pk"))
    for key in ("topic", "channel", "kind"):
        if key in value:
            rows = rows.filter(**{f"{key}__iexact": _text(value[key], path)})
    if "mood" in value:
        moods = value["mood"] if isinstance(value["mood"], list) else [value["mood"]]
        rows = rows.filter(mood__in=[_int(m, path, "mood", 1) for m in moods])
    since = _since(value, path)
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    return _count_q(rows, operator, value, path)


def order_line_model() -> Any | None:
    from django.apps import apps

    if not apps.is_installed("kunde.commerce"):
        return None
    try:
        return apps.get_model("commerce", "OrderLine")
    except LookupError:
        return None


def _purchase(operator: str, value: Any, path: str) -> Q:
    line_model = order_line_model()
    if line_model is None:
        raise _error(path, _("purchases are not available (the commerce app is not installed)"))
    if not isinstance(value, dict):
        raise _error(path, _("the value must be an object such as {\"category\": \"rings\", \"days\": 365}"))
    unknown = set(value) - {"category", "product", "days", "since", "times", "min_total"}
    if unknown:
        raise _error(path, _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
    rows = line_model.objects.filter(person=OuterRef("pk"))
    if "category" in value:
        rows = rows.filter(category__key=_text(value["category"], path))
    if "product" in value:
        rows = rows.filter(product_id=_int(value["product"], path, "product", 1))
    since = _since(value, path)
    if since is not None:
        rows = rows.filter(ordered_on__gte=since.date())
    if "since" in value:
        try:
            rows = rows.filter(ordered_on__gte=dt.date.fromisoformat(str(value["since"])))
        except ValueError as error:
            raise _error(path, _("since must be a date (YYYY-MM-DD)")) from error
    names = {f.name for f in line_model._meta.get_fields()}
    amount = "net_amount_eur" if "net_amount_eur" in names else "net_amount"
    return _count_q(rows, operator, value, path, amount_field=amount)


def _score(field: str, operator: str, value: Any, path: str) -> Q:
    from django.apps import apps

    if not apps.is_installed("kunde.analytics"):
        raise _error(path, _("scores are not available (the analytics app is not installed)"))
    score_model = apps.get_model("analytics", "CustomerScore")
    if operator == "is_set":
        condition = Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""}) if field == "rfm_segment" else Q(
            **{f"{field}__isnull": False})
    elif field == "rfm_segment":
        keys = _texts(value, path) if operator == "in" else [_text(value, path)]
        from kunde.analytics.rfm import SEGMENTS

        unknown = sorted(set(keys) - set(SEGMENTS))
        if unknown:
            raise _error(path, _("unknown RFM segment %(keys)s; known: %(known)s")
                         % {"keys": ", ".join(unknown), "known": ", ".join(SEGMENTS)})
        condition = Q(rfm_segment__in=keys)
    else:
        try:
            number = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            number = float("nan")
        if number != number:  # NaN: not a number, or a boolean
            raise _error(path, _("the value must be a number"))
        condition = Q(**{f"{field}__{operator}": number})
    own = score_model.objects.filter(condition, person=OuterRef("pk"))
    employer = score_model.objects.filter(condition, organisation__employments__person=OuterRef("pk"),
                                          organisation__employments__end_date__isnull=True)
    return Q(Exists(own)) | Q(Exists(employer))


def _binding_cause(operator: str, value: Any, path: str) -> Q:
    # Retention owns the causes, their evidence and the messages about them.
    from kunde.retention.derived import segment_condition

    keys = _texts(value, path) if operator == "in" else [_text(value, path)]
    try:
        return segment_condition(keys)
    except ValueError as error:
        raise _error(path, str(error)) from error


def _consent(value: Any, path: str) -> Q:
    from kunde.audience.consent import consent_q, get_purpose
    from kunde.audience.models import Channel

    if isinstance(value, dict):
        purpose, channel = value.get("purpose"), value.get("channel", "email")
    else:
        purpose, channel = value, "email"
    if channel not in Channel.values:
        raise _error(path, _("unknown channel “%(channel)s”") % {"channel": channel})
    try:
        purpose_obj = get_purpose(_text(purpose, path))
    except ValidationError as error:
        raise _error(path, " ".join(error.messages)) from error
    return consent_q(purpose_obj, channel)


# ---------------------------------------------------------------- evaluate

def validate_definition(definition: Any) -> None:
    compile_definition(definition)


def segment_people(segment_or_definition: Segment | dict[str, Any], user: Any = None) -> QuerySet[Person]:
    """The alive people of a segment (frozen: its snapshot) or a definition, visible to `user` if given."""
    base = Person.objects.for_user(user) if user is not None else Person.objects.all()
    if isinstance(segment_or_definition, Segment):
        segment = segment_or_definition
        if segment.kind == Segment.Kind.FROZEN:
            return base.filter(pk__in=SegmentMember.objects.filter(segment=segment).values("person_id"))
        definition = segment.definition
    else:
        definition = segment_or_definition
    return base.filter(compile_definition(definition))


def segment_count(segment_or_definition: Segment | dict[str, Any], user: Any = None) -> int:
    return segment_people(segment_or_definition, user).count()


@transaction.atomic
def freeze_members(segment: Segment, definition: dict[str, Any] | None = None) -> int:
    """Replace a frozen segment's snapshot with who matches `definition` (default: its own) now."""
    SegmentMember.objects.filter(segment=segment).delete()
    ids = list(Person.objects.filter(compile_definition(definition or segment.definition))
               .values_list("pk", flat=True))
    SegmentMember.objects.bulk_create([SegmentMember(segment=segment, person_id=pk) for pk in ids], batch_size=1000)
    return len(ids)
