"""HubSpot's lists tool, as the article uses it: name, criteria over contact properties, Review
and save, then the processing status while the fake processes the list, and back to the
integration settings to pick it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from hubforce.web import ui
from hubforce.web.criteria import LIST_TYPES, OPERATORS, ListForm
from hubforce.web.fakes import FakeError

bp = Blueprint("lists", __name__, url_prefix="/lists")
TYPE_NAMES = {"DYNAMIC": "Active", "MANUAL": "Static", "SNAPSHOT": "Snapshot"}


@bp.get("/")
def index() -> str:
    return render_template("lists.html", lists=ui().fakes.lists(), type_names=TYPE_NAMES)


def _properties() -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in ui().fakes.contact_properties()}


def _builder(form: ListForm, status: int = 200, step: str = "edit") -> tuple[str, int]:
    props = _properties()
    page = render_template(
        "list_new.html", form=form, properties=props.values(), operators=OPERATORS, step=step,
        next=request.values.get("next", ""), kinds=LIST_TYPES,
    )
    return page, status


@bp.get("/new")
def new() -> tuple[str, int]:
    return _builder(ListForm())


@bp.post("/new")
def create() -> Any:
    """`action=review` checks the form and shows the Review step; `action=save` creates the list.
    Either way a bad field sends the form back with the error next to it and the input kept."""
    form = ListForm.from_form(request.form)
    props = _properties()
    if not form.validate(props):
        return _builder(form, 400)
    if request.form.get("action") != "save":
        return _builder(form, step="review")
    processing = LIST_TYPES[form.kind]
    try:
        created = ui().fakes.create_list(form.name, processing, form.filter_branch(props))
    except FakeError as exc:  # e.g. a name already taken: HubSpot's own words, next to the name
        form.errors["name" if "name" in exc.message.lower() else "prop1"] = exc.message
        return _builder(form, 400)
    return redirect(url_for("lists.show", list_id=created["listId"], next=request.form.get("next", "")))


@bp.get("/<list_id>")
def show(list_id: str) -> str:
    lst = ui().fakes.get_list(list_id)
    return render_template("list_show.html", lst=lst, type_names=TYPE_NAMES, next=request.args.get("next", ""))


@bp.get("/<list_id>/status")
def status(list_id: str) -> Any:
    lst = ui().fakes.get_list(list_id)
    return jsonify({"processingStatus": lst.get("processingStatus"), "size": lst.get("size")})


@bp.post("/<list_id>/advance")
def advance(list_id: str) -> Any:
    """A virtual clock stands still: the person moves it so processing can finish."""
    ui().fakes.advance_clock(60)
    return redirect(url_for("lists.show", list_id=list_id, next=request.form.get("next", "")))
