from django import template

from posts.addresses import slug_address

register = template.Library()


@register.filter
def tag_address(tag):
    """The tag's page, as {% url 'posts:tag' tag.slug %} gives it."""
    return slug_address("posts:tag", tag.slug)
