"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), written from the same feed and items
Django's syndication framework gives the RSS and Atom generators."""

import json

from django.utils.feedgenerator import SyndicationFeed, rfc3339_date

VERSION = "https://jsonfeed.org/version/1.1"


def without_empty(fields):
    # The format gives null no meaning: a field with nothing to say is left out.
    return {name: value for name, value in fields.items() if value not in (None, "", [], {})}


class JsonFeed(SyndicationFeed):
    content_type = "application/feed+json; charset=utf-8"

    def write(self, outfile, encoding):
        outfile.write(json.dumps(self.document(), ensure_ascii=False, separators=(",", ":")))

    def document(self):
        feed = self.feed
        author = without_empty({"name": feed["author_name"], "url": feed["author_link"]})
        return {
            "version": VERSION,
            **without_empty(
                {
                    "title": feed["title"],
                    "home_page_url": feed["link"],
                    "feed_url": feed["feed_url"],
                    "description": feed["description"],
                    "language": feed["language"],
                    "authors": [author] if author else None,
                    "hubs": [{"type": "WebSub", "url": feed["hub"]}] if feed.get("hub") else None,
                }
            ),
            "items": [self.item(item) for item in self.items],
        }

    def item(self, item):
        author = without_empty({"name": item["author_name"], "url": item.get("author_url")})
        image = item.get("image")
        return without_empty(
            {
                "id": item["unique_id"] or item["link"],
                "url": item["link"],
                "title": item["title"],
                "content_html": item["content_html"],
                # Plain text here, where RSS and Atom carry it as HTML.
                "summary": item.get("summary"),
                "image": image and image["url"],
                "date_published": item["pubdate"] and rfc3339_date(item["pubdate"]),
                "date_modified": item["updateddate"] and rfc3339_date(item["updateddate"]),
                "authors": [author] if author else None,
                "tags": list(item["categories"]),
                "attachments": [
                    {
                        "url": enclosure.url,
                        "mime_type": enclosure.mime_type,
                        "size_in_bytes": int(enclosure.length),
                    }
                    for enclosure in item["enclosures"]
                ],
            }
        )
