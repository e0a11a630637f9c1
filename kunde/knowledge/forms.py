"""Forms of the article editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kunde.core.views.ui import KundeForm
from kunde.knowledge.models import Article, ArticleCategory, ArticleVersion, Language


class ArticleForm(KundeForm):
    """Title, text and the article's address; a new article also picks its language."""

    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(label=_("Address (slug)"), max_length=120,
                           help_text=_("The last part of the public address, e.g. /help/de/this-part/"))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    category = forms.ModelChoiceField(label=_("Category"), queryset=ArticleCategory.objects.all(), required=False)
    body_format = forms.ChoiceField(label=_("Format"), choices=ArticleVersion.Format.choices,
                                    initial=ArticleVersion.Format.MARKDOWN)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 18, "data-preview-source": ""}),
                           max_length=100_000)
    translation_of = forms.ModelChoiceField(
        label=_("Translation of"), queryset=Article.objects.none(), required=False,
        help_text=_("The article in the other language that this one translates."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, article: Article | None = None, **kwargs: Any) -> None:
        if article is not None:
            latest = article.latest_version
            kwargs.setdefault("initial", {}).update(
                title=latest.title if latest else article.title, body=latest.body if latest else "",
                body_format=latest.body_format if latest else ArticleVersion.Format.MARKDOWN,
                slug=article.slug, category=article.category_id, version=article.version,
                language=article.language,
            )
        super().__init__(*args, **kwargs)
        if article is not None:
            del self.fields["language"]
            del self.fields["translation_of"]
        else:
            self.fields["translation_of"].queryset = Article.objects.order_by("title", "id")
