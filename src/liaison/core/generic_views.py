"""Generic list and edit pages for reference data, after NetBox's ObjectListView and ObjectEditView.

A page is declared rather than written: the model (its `permission_resource` guards the page), the template, the
form, the action that saves, the success message and the list to return to. Reads go through restrict() and
`get_restricted_or_404`; writes go through the app's action, whose validation errors land next to the fields.

The permission check and the page chrome belong to the app that mounts the pages (`check`, `render`): accounts'
administration pages pass `require_admin_page` and `admin_page`, because core imports no app above it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render as render_template
from django.views.decorators.http import require_http_methods

from .forms import LiaisonForm, add_action_errors
from .permissions import can, require
from .views import AuthenticatedRequest, get_restricted_or_404

if TYPE_CHECKING:
    from liaison.accounts.models import User

# (user, resource, action): raises PermissionDenied unless the user may open the page.
Check = Callable[["User", str, str], None]
# (request, template, context): the page.
Render = Callable[[AuthenticatedRequest, str, dict[str, Any]], HttpResponse]


def save_with_form(form: forms.BaseForm, save: Callable[[], Any]) -> Any:
    """Call an action; its validation errors land on the form. Returns the saved record or None."""
    try:
        return save()
    except ValidationError as exc:
        add_action_errors(form, exc)
        return None


@dataclass(frozen=True, kw_only=True)
class ObjectListView:
    """The rows of `model` the user may view, as `rows` in the context, with `can_add` and `can_change`.

    `contents(request, rows)` builds the context instead where a page groups or filters its rows. With a `form`,
    the page also creates records inline (teams, territories): a POST needs the "add" permission, calls
    `save(None, acting_user=user, **cleaned_data)` and returns to the list with `message`.
    """

    model: Any
    template: str
    rows: str = "objects"
    related: Sequence[str] = ()
    contents: Callable[[AuthenticatedRequest, Any], dict[str, Any]] | None = None
    form: type[LiaisonForm] | None = None
    save: Callable[..., Any] | None = None
    message: str = ""
    check: Check = require
    render: Render = render_template

    def as_view(self) -> Callable[..., HttpResponse]:
        return login_required(require_http_methods(["GET", "POST"] if self.form else ["GET"])(self.respond))

    def respond(self, request: AuthenticatedRequest) -> HttpResponse:
        user, resource = request.user, self.model.permission_resource
        self.check(user, resource, "view")
        context: dict[str, Any] = {}
        if self.form is not None:
            form = self.form(request.POST if request.method == "POST" else None, choices_for=user)
            if request.method == "POST":
                self.check(user, resource, "add")
                if _submit(request, form, self.save, None, self.message):
                    return redirect(request.path)
            context["form"] = form
        rows = self.model.objects.restrict(user, "view")
        if self.related:  # select_related() with no names would follow every foreign key
            rows = rows.select_related(*self.related)
        context.update(self.contents(request, rows) if self.contents else {self.rows: rows})
        context["can_add"] = can(user, resource, "add")
        context["can_change"] = can(user, resource, "change")
        return self.render(request, self.template, context)


@dataclass(frozen=True, kw_only=True)
class ObjectEditView:
    """Create (no uuid) or change (a uuid) one record of `model` through its `save` action.

    The form's fields are the action's keyword arguments: `save(record or None, acting_user=user, **cleaned_data)`.
    A new record's form starts from `defaults(request)`, an existing one's from `initial(record)`. Saved, the page
    returns to the list (`list_url`, titled `list_title`) with `message`; `title_edit`, `subtitle` and `message`
    are formatted with the record as `obj`.
    """

    model: Any
    form: type[LiaisonForm]
    save: Callable[..., Any]
    initial: Callable[[Any], dict[str, Any]]
    defaults: Callable[[AuthenticatedRequest], dict[str, Any]] = lambda request: {}
    template: str
    list_url: str
    list_title: str
    message: str
    title_new: str
    title_edit: str = "Edit {obj.name}"
    subtitle: str = ""
    submit: str = "Save"
    check: Check = require
    render: Render = render_template

    def as_view(self) -> Callable[..., HttpResponse]:
        return login_required(require_http_methods(["GET", "POST"])(self.respond))

    def respond(self, request: AuthenticatedRequest, uuid: Any = None) -> HttpResponse:
        user, resource = request.user, self.model.permission_resource
        record = None
        if uuid is None:
            self.check(user, resource, "add")
            initial = self.defaults(request)
        else:
            self.check(user, resource, "change")
            record = get_restricted_or_404(self.model, user, uuid, "change")
            initial = self.initial(record)
        form = self.form(request.POST or None, initial=initial, choices_for=user)
        if request.method == "POST" and _submit(request, form, self.save, record, self.message):
            return redirect(self.list_url)
        context = {
            "form": form,
            "title": self.title_new if record is None else self.title_edit.format(obj=record),
            "subtitle": "" if record is None else self.subtitle.format(obj=record),
            "back": self.list_url,
            "back_label": self.list_title,
            "record": record,
            "submit": self.submit,
        }
        return self.render(request, self.template, context)


def _submit(request: HttpRequest, form: LiaisonForm, save: Any, record: Any, message: str) -> bool:
    """Save a valid form's data through the action and flash `message` about the saved record; False when the
    form or the action refused it (the errors are on the form)."""
    if not form.is_valid():
        return False
    saved = save_with_form(form, lambda: save(record, acting_user=request.user, **form.cleaned_data))
    if saved is not None:
        messages.success(request, message.format(obj=saved))
    return saved is not None
