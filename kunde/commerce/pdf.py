"""Quotes as PDF (fpdf2, with the bundled DejaVu font so every name prints, umlauts and all).

The letterhead comes from the settings KUNDE_COMPANY_NAME, KUNDE_COMPANY_ADDRESS (lines
separated by "|"), KUNDE_COMPANY_VAT_ID, KUNDE_COMPANY_BANK, KUNDE_COMPANY_IBAN and
KUNDE_COMPANY_BIC.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from kunde.commerce.models import Quote

FONTS = Path(__file__).resolve().parent / "fonts"


def company() -> dict[str, Any]:
    return {
        "name": getattr(settings, "KUNDE_COMPANY_NAME", "") or "Kunde",
        "address": [line.strip() for line in str(getattr(settings, "KUNDE_COMPANY_ADDRESS", "")).split("|")
                    if line.strip()],
        "vat_id": getattr(settings, "KUNDE_COMPANY_VAT_ID", ""),
        "bank": getattr(settings, "KUNDE_COMPANY_BANK", ""),
        "iban": getattr(settings, "KUNDE_COMPANY_IBAN", ""),
        "bic": getattr(settings, "KUNDE_COMPANY_BIC", ""),
    }


def amount(value: Decimal, currency: str) -> str:
    return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} {currency}"


def _recipient(quote: Quote) -> list[str]:
    lines = []
    if quote.organisation:
        lines.append(quote.organisation.name)
        if quote.organisation.legal_form:
            lines[-1] += f" {quote.organisation.legal_form}"
    if quote.person:
        lines.append(quote.person.full_name)
    holder = quote.organisation or quote.person
    address = holder.addresses.order_by("-is_primary", "id").first() if holder is not None else None
    if address is not None:
        lines += [address.street, f"{address.postal_code} {address.city}".strip()]
        if address.country != "DE":
            lines.append(address.country)
    return lines


def render_quote_pdf(quote: Quote) -> bytes:
    """The quote as a PDF in its language."""
    from kunde.commerce.quotes import quote_totals

    with translation.override(quote.language):
        return _render(quote, quote_totals(quote))


def _render(quote: Quote, totals: Any) -> bytes:
    sender = company()
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=25)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, sender["name"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(0, 5, " · ".join(sender["address"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 10)
    for text in _recipient(quote):
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, _("Quote %(number)s") % {"number": str(quote)}, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 5, _("Date: %(date)s · valid until %(until)s") % {
        "date": formats.date_format(quote.issued_on, "SHORT_DATE_FORMAT"),
        "until": formats.date_format(quote.valid_until, "SHORT_DATE_FORMAT")}, new_x="LMARGIN", new_y="NEXT")
    if quote.notes:
        pdf.ln(3)
        pdf.multi_cell(0, 5, quote.notes, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (10, 78, 22, 28, 16, 12, 24)
    headers = ("#", _("Description"), _("Quantity"), _("Unit price"), _("Disc."), _("VAT"), _("Net"))
    pdf.set_font("DejaVu", "B", 8)
    for width, header in zip(widths, headers, strict=True):
        pdf.cell(width, 6, header, border="B", align="L" if header == headers[1] else "R")
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for line in quote.lines.order_by("position"):
        cells = (str(line.position), line.description[:60],
                 f"{formats.number_format(line.quantity.normalize(), use_l10n=True)} {line.unit}".strip(),
                 amount(line.unit_price, quote.currency),
                 f"{line.discount_percent.normalize()} %" if line.discount_percent else "",
                 f"{line.vat_rate.normalize()} %", amount(line.net_amount, quote.currency))
        for index, (width, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(width, 6, text, align="L" if index == 1 else "R")
        pdf.ln()
    pdf.ln(2)
    label_width, value_width = sum(widths[:-2]), sum(widths[-2:])
    rows: list[tuple[str, Decimal]] = []
    if quote.discount_percent:
        rows.append((_("Quote discount %(percent)s %%") % {"percent": quote.discount_percent.normalize()},
                     -(totals.undiscounted - totals.net)))
    rows.append((_("Net total"), totals.net))
    rows += [(_("VAT %(rate)s %%") % {"rate": rate.normalize()}, vat) for rate, vat in totals.vat_by_rate.items()]
    rows += [(deduction.label, -deduction.amount) for deduction in getattr(totals, "deductions", ())]
    for label, value in rows:
        pdf.cell(label_width, 6, label, align="R")
        pdf.cell(value_width, 6, amount(value, quote.currency), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(label_width, 7, _("Total"), align="R", border="T")
    pdf.cell(value_width, 7, amount(totals.gross, quote.currency), align="R", border="T", new_x="LMARGIN",
             new_y="NEXT")
    pdf.set_y(-30)
    pdf.set_font("DejaVu", "", 7)
    footer = [sender["name"], *sender["address"]]
    if sender["vat_id"]:
        footer.append(_("VAT ID %(id)s") % {"id": sender["vat_id"]})
    bank = " · ".join(part for part in (sender["bank"], f"IBAN {sender['iban']}" if sender["iban"] else "",
                                        f"BIC {sender['bic']}" if sender["bic"] else "") if part)
    pdf.multi_cell(0, 4, " · ".join(footer) + ("\n" + bank if bank else ""), align="C")
    return bytes(pdf.output())
