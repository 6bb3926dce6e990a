"""Customers of an organizer."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..domain.permissions import Permission
from .access import require

bp = Blueprint("customers", __name__)


@bp.get("/<organizer>/customers/")
@require(Permission.VIEW_CUSTOMERS)
def customer_list(organizer):
    return render_template("customers/list.html")
