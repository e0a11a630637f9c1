"""Pages of retention (placeholder while building)."""
from django.http import HttpResponse


def plan_list(request, pk=None): return HttpResponse()
plan_edit = plan_detail = plan_delete = care_cadence_new = plan_list
def customer_cause_set(request, kind, pk): return HttpResponse()
