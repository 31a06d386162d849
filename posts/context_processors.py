from django.conf import settings


def site(request):
    return {"site_title": settings.GUTBRAIN_SITE_TITLE}
