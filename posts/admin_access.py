"""Rows a staff member may work on: their own, unless their role lets them work on everyone's."""


class EditableRowsOnly:
    """For a ModelAdmin whose model has is_editable_by(user): the list and every view start
    from get_queryset(), and these refuse another's row all the same, for views given a row
    by id (preview, versions, a profile's page)."""

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None or obj.is_editable_by(request.user)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.is_editable_by(request.user)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.is_editable_by(request.user)
        )
