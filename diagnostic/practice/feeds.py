"""The Atom feed of new publications: public case studies only (a feed reader is anonymous)."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from diagnostic.practice import queries
from diagnostic.practice.markdown import plain_text


class NewCaseStudies(Feed):
    feed_type = Atom1Feed
    title = "Good practice from councils: new case studies"
    subtitle = "Case studies newly published in the NPS Diagnostic's library of good practice."

    def link(self):
        return reverse("practice:library")

    def items(self):
        return (
            queries.published_for(None)
            .select_related("organisation__region", "level")
            .order_by("-published_at", "-pk")[:30]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return plain_text(item.summary)

    def item_link(self, item):
        return reverse("practice:case_study", args=[item.pk])

    def item_author_name(self, item):
        return item.author_label

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at
