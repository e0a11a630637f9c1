"""The placeholder language of e-mail templates: Jinja2 in a sandbox over an allowlist.

A template sees only plain dicts built by `personalisation.person_context` — never a model
object — and `validate_source` refuses, at save time, every name, attribute, filter, test
or statement outside the allowlist (`SCHEMA`).

Optional data may be missing for a person: no purchase yet (`last_purchase.product`,
`purchases[0].date`), no interest, no first name. A missing value (`MissingValue`) renders
empty, is false in `{% if %}`, takes the `default(...)` fallback, stays missing through
`+`/`-` and `round`, and compares as false, so such a placeholder outside an `{% if %}` never
stops a message. What the allowlist cannot see in advance (a filter given a value of the
wrong kind, e.g. `round` on a text) fails at render time as `TemplateRenderError`, a
`ValidationError` with a message for the user — never a crash of the sender or the preview.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jinja2 import ChainableUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

SCALAR = "scalar"

PURCHASE = {"product": SCALAR, "category": SCALAR, "category_key": SCALAR, "date": SCALAR, "amount": SCALAR}
INTEREST = {"topic": SCALAR, "topic_name": SCALAR, "date": SCALAR}

# What a template may read: dicts are objects, ("list", item) lists, SCALAR a value.
SCHEMA: dict[str, Any] = {
    "person": {
        "salutation": SCALAR, "title": SCALAR, "first_name": SCALAR, "last_name": SCALAR,
        "full_name": SCALAR, "language": SCALAR, "greeting": SCALAR,
    },
    "purchases": ("list", PURCHASE),
    "last_purchase": PURCHASE,
    "interests": ("list", INTEREST),
    "last_interest": INTEREST,
    "sender": {"name": SCALAR, "company": SCALAR, "email": SCALAR},
    "links": {"unsubscribe": SCALAR, "preferences": SCALAR, "survey": SCALAR},
    "campaign": {"name": SCALAR},
}
LOOP = {"index": SCALAR, "index0": SCALAR, "first": SCALAR, "last": SCALAR, "length": SCALAR}

ALLOWED_FILTERS = {
    "default", "d", "upper", "lower", "title", "capitalize", "trim", "length", "count", "first", "last",
    "join", "truncate", "e", "escape", "replace", "round", "int", "string", "selectattr", "rejectattr",
    "map", "list", "unique", "sort", "wordwrap", "striptags",
}
# Attribute names given as strings to these filters are checked like `.name`.
ATTRIBUTE_FILTERS = {"map", "selectattr", "rejectattr", "sort", "unique"}
ALLOWED_TESTS = {
    "defined", "undefined", "none", "number", "string", "equalto", "eq", "ne", "in", "sameas", "odd", "even",
    "gt", "ge", "lt", "le", "true", "false",
}
# Arithmetic beyond + and -: a marketing text needs none, and "x" * 10**9 would exhaust memory.
FORBIDDEN_OPERATORS = (nodes.Mul, nodes.Pow, nodes.Div, nodes.FloorDiv, nodes.Mod)
FORBIDDEN_NODES = (
    nodes.Call, nodes.Macro, nodes.CallBlock, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends,
    nodes.Block, nodes.ExprStmt, nodes.With, nodes.FilterBlock, nodes.NSRef, nodes.InternalName,
    nodes.EvalContextModifier,  # {% autoescape false %} would let a customer's name inject HTML
)


class MissingValue(ChainableUndefined):
    """A value the person does not have: empty text, false, and still missing when read further.

    jinja2's `ChainableUndefined` already reads attributes and items of a missing value as
    missing; arithmetic, `round` and comparisons would still raise `UndefinedError`.
    """

    __slots__ = ()

    def _still_missing(self, *args: Any, **kwargs: Any) -> MissingValue:
        return self

    def _false(self, other: Any) -> bool:
        return False

    def _not_a_number(self) -> Any:
        raise TypeError("missing value")  # so `|int` gives its default, as for any text

    __add__ = __radd__ = __sub__ = __rsub__ = __pos__ = __neg__ = __round__ = _still_missing  # type: ignore[assignment]
    __lt__ = __le__ = __gt__ = __ge__ = _false  # type: ignore[assignment]
    __int__ = __float__ = __complex__ = _not_a_number  # type: ignore[assignment]


class TemplateRenderError(ValidationError):
    """A saved template could not be rendered for one person (the message says why)."""


class _Sandbox(SandboxedEnvironment):
    """The sandbox, whose refusals stay errors: a missing value is empty, an unsafe one is not."""

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.")


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = _Sandbox(autoescape=autoescape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                               finalize=lambda value: "" if value is None else value, undefined=MissingValue)
    # Only the allowlisted filters and tests exist: an unknown one fails when compiling.
    env.filters = {name: f for name, f in env.filters.items() if name in ALLOWED_FILTERS}
    env.tests = {name: t for name, t in env.tests.items() if name in ALLOWED_TESTS}
    env.globals = {}
    return env


HTML_ENV = _environment(True)
TEXT_ENV = _environment(False)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, node: nodes.Node, message: str) -> None:
        line = getattr(node, "lineno", None)
        text = _("Line %(line)s: %(message)s") % {"line": line, "message": message} if line else message
        if text not in self.errors:
            self.errors.append(text)

    # --- statements ---------------------------------------------------------------

    def body(self, items: list[nodes.Node], scope: dict[str, Any]) -> None:
        for item in items:
            self.stmt(item, scope)

    def stmt(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, FORBIDDEN_NODES):
            self.error(node, _("“%(what)s” is not allowed in templates.") % {"what": type(node).__name__.lower()})
            return
        if isinstance(node, nodes.For):
            item = self.expr(node.iter, scope)
            inner = dict(scope)
            inner["loop"] = LOOP
            if not isinstance(node.target, nodes.Name):
                self.error(node, _("Loop over one name only, e.g. {% for p in purchases %}."))
            else:
                inner[node.target.name] = item[1] if isinstance(item, tuple) else SCALAR
            if node.test is not None:
                self.expr(node.test, inner)
            self.body(node.body, inner)
            self.body(node.else_, scope)
            return
        if isinstance(node, nodes.Assign):
            value = self.expr(node.node, scope)
            if isinstance(node.target, nodes.Name):
                scope[node.target.name] = value
            else:
                self.error(node, _("Assign to one name only."))
            return
        if isinstance(node, nodes.If):
            self.expr(node.test, scope)
            self.body(node.body, scope)
            for elif_ in node.elif_:
                self.stmt(elif_, scope)
            self.body(node.else_, scope)
            return
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.expr(child, scope)
            return
        if isinstance(node, nodes.Scope | nodes.Template):
            self.body(node.body, scope)
            return
        self.error(node, _("“%(what)s” is not allowed in templates.") % {"what": type(node).__name__.lower()})

    # --- expressions --------------------------------------------------------------

    def expr(self, node: nodes.Node, scope: dict[str, Any]) -> Any:
        """Check `node`; return the schema of its value (SCALAR when unknown)."""
        if isinstance(node, FORBIDDEN_NODES):
            self.error(node, _("Calling functions or methods is not allowed in templates."))
            return SCALAR
        if isinstance(node, FORBIDDEN_OPERATORS):
            self.error(node, _("Only + and - are allowed as arithmetic in templates."))
            return SCALAR
        if isinstance(node, nodes.Name):
            if node.name not in scope:
                self.error(node, _("Unknown placeholder “%(name)s”. Allowed: %(allowed)s.")
                           % {"name": node.name, "allowed": ", ".join(sorted(SCHEMA))})
                return SCALAR
            return scope[node.name]
        if isinstance(node, nodes.Getattr):
            return self.attribute(node, self.expr(node.node, scope), node.attr, scope)
        if isinstance(node, nodes.Getitem):
            base = self.expr(node.node, scope)
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                return self.attribute(node, base, node.arg.value, scope)
            if isinstance(base, tuple):
                if isinstance(node.arg, nodes.Slice):
                    for part in (node.arg.start, node.arg.stop, node.arg.step):
                        if part is not None:
                            self.expr(part, scope)
                    return base
                self.expr(node.arg, scope)
                return base[1]
            self.error(node, _("Only lists can be indexed."))
            return SCALAR
        if isinstance(node, nodes.Filter):
            base = self.expr(node.node, scope) if node.node is not None else SCALAR
            if node.name not in ALLOWED_FILTERS:
                self.error(node, _("The filter “%(name)s” is not allowed.") % {"name": node.name})
            self._args(node, scope)
            if node.name in ATTRIBUTE_FILTERS:
                for value in [*node.args, *(k.value for k in node.kwargs)]:
                    if isinstance(value, nodes.Const) and isinstance(value.value, str) and "_" in value.value[:1]:
                        self.error(node, _("“%(name)s” is not allowed in templates.") % {"name": value.value})
            if node.name in ("first", "last") and isinstance(base, tuple):
                return base[1]
            if node.name in ("selectattr", "rejectattr", "sort", "unique", "list"):
                return base
            return SCALAR
        if isinstance(node, nodes.Test):
            self.expr(node.node, scope)
            if node.name not in ALLOWED_TESTS:
                self.error(node, _("The test “%(name)s” is not allowed.") % {"name": node.name})
            self._args(node, scope)
            return SCALAR
        if isinstance(node, nodes.CondExpr):
            self.expr(node.test, scope)
            first = self.expr(node.expr1, scope)
            if node.expr2 is not None:
                self.expr(node.expr2, scope)
            return first
        if isinstance(node, nodes.Const | nodes.TemplateData):
            return SCALAR
        if isinstance(node, nodes.Compare):
            self.expr(node.expr, scope)
            for operand in node.ops:
                self.expr(operand.expr, scope)
            return SCALAR
        if isinstance(node, nodes.Pair):
            self.expr(node.key, scope)
            self.expr(node.value, scope)
            return SCALAR
        if isinstance(node, nodes.Literal | nodes.Expr):
            for child in node.iter_child_nodes():
                self.expr(child, scope)
            return SCALAR
        self.error(node, _("“%(what)s” is not allowed in templates.") % {"what": type(node).__name__.lower()})
        return SCALAR

    def _args(self, node: nodes.Filter | nodes.Test, scope: dict[str, Any]) -> None:
        for arg in node.args:
            self.expr(arg, scope)
        for kwarg in node.kwargs:
            self.expr(kwarg.value, scope)
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.error(node, _("*args and **kwargs are not allowed."))

    def attribute(self, node: nodes.Node, base: Any, name: str, scope: dict[str, Any]) -> Any:
        if name.startswith("_"):
            self.error(node, _("“%(name)s” is not allowed in templates.") % {"name": name})
            return SCALAR
        if isinstance(base, dict):
            if name in base:
                return base[name]
            self.error(node, _("Unknown placeholder field “%(name)s”. Allowed: %(allowed)s.")
                       % {"name": name, "allowed": ", ".join(sorted(base))})
            return SCALAR
        self.error(node, _("“%(name)s” cannot be read here: only the listed fields are available.") % {"name": name})
        return SCALAR


def template_errors(source: str) -> list[str]:
    """Every problem of one template text, as messages for the user ([] when it is fine)."""
    if not source:
        return []
    try:
        tree = TEXT_ENV.parse(source)
    except TemplateSyntaxError as error:
        return [_("Line %(line)s: %(message)s") % {"line": error.lineno, "message": error.message}]
    checker = _Checker()
    checker.body(tree.body, dict(SCHEMA))
    if checker.errors:
        return checker.errors
    try:
        unknown = meta.find_undeclared_variables(tree) - set(SCHEMA)
    except TemplateSyntaxError as error:
        return [_("Line %(line)s: %(message)s") % {"line": error.lineno, "message": error.message}]
    for name in sorted(unknown):  # jinja's own view, in case a construct slipped past the walk
        message = _("Unknown placeholder “%(name)s”. Allowed: %(allowed)s.") % {
            "name": name, "allowed": ", ".join(sorted(SCHEMA))}
        if not any(message in e for e in checker.errors):
            checker.errors.append(message)
    if not checker.errors:
        try:
            TEXT_ENV.from_string(source)  # compile: unknown filters and tests fail here
        except TemplateSyntaxError as error:
            checker.errors.append(_("Line %(line)s: %(message)s") % {"line": error.lineno, "message": error.message})
    return checker.errors


def validate_source(fields: dict[str, str]) -> None:
    """Raise ValidationError keyed by field name for every template text that is not allowed."""
    errors = {name: problems for name, source in fields.items() if (problems := template_errors(source))}
    if errors:
        raise ValidationError(errors)


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Any:
    return (HTML_ENV if html else TEXT_ENV).from_string(source)


# What a validated template can still run into for one person's values.
_RENDER_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError)


def render(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    """Render a validated template text over a plain-dict context (TemplateRenderError if it cannot)."""
    if not source:
        return ""
    try:
        return _compiled(source, html).render(context)
    except TemplateSyntaxError as error:
        raise TemplateRenderError(_("Line %(line)s: %(message)s") % {
            "line": error.lineno, "message": error.message}) from error
    except _RENDER_ERRORS as error:
        raise TemplateRenderError(
            _("The template could not be filled in for this person: %(problem)s") % {"problem": error}
        ) from error
