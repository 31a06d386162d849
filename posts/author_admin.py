"""The admin of author profiles: an author writes their own, editors everyone's."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q

from posts.admin_access import EditableRowsOnly
from posts.authors import EDIT_OTHERS_PROFILES, AuthorProfile


class AuthorProfileForm(forms.ModelForm):
    # For an author, the user whose profile this is: themselves, set before validation so that
    # the address can be checked against their login name.
    owner = None

    class Meta:
        model = AuthorProfile
        fields = ["user", "display_name", "slug", "bio", "photo", "website", "orcid", "mastodon"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.owner is not None and self.instance.user_id is None:
            self.instance.user = self.owner


@admin.register(AuthorProfile)
class AuthorProfileAdmin(EditableRowsOnly, admin.ModelAdmin):
    form = AuthorProfileForm
    list_display = ["display_name", "slug", "has_photo"]
    search_fields = ["display_name", "slug"]
    prepopulated_fields = {"slug": ["display_name"]}
    autocomplete_fields = ["photo"]

    def get_queryset(self, request):
        return super().get_queryset(request).editable_by(request.user)

    def has_add_permission(self, request):
        if not super().has_add_permission(request):
            return False
        # An author has one profile: once it is written, they change it.
        return (
            request.user.has_perm(EDIT_OTHERS_PROFILES)
            or not AuthorProfile.objects.filter(user=request.user).exists()
        )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.has_perm(EDIT_OTHERS_PROFILES):
            return fields
        # An author's profile is their own: no field to choose another, no list of names.
        return [name for name in fields if name != "user"]

    def get_readonly_fields(self, request, obj=None):
        # A profile stays with the user it was written for.
        return ["user"] if obj else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.has_perm(EDIT_OTHERS_PROFILES):
            return form
        return type(form.__name__, (form,), {"owner": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Staff and earlier authors who have no profile yet, as the post form's bylines.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(Q(is_staff=True) | Q(posts__isnull=False))
                .filter(author_profile__isnull=True)
                .distinct()
                .order_by("username")
            )
            kwargs["help_text"] = "Whose profile this is: their posts are listed on its page."
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(boolean=True, description="Photo")
    def has_photo(self, profile):
        return profile.photo_id is not None
