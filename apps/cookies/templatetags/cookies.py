"""Template tags: the banner, our script's settings, and gating content on a cookie category.

    {% load cookies %}
    {% cookie_allowed "analytics" %}…shown only when analytics is allowed…{% else %}…{% endcookie_allowed %}
"""

from django import template
from django.middleware.csrf import get_token
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from apps.core.cache import content_cached
from apps.core.pagecache import CSRF_MARK, PAGE_MARKED, PATH_MARK, fill

from ..selectors import CATALOGUE, consent_state

register = template.Library()


class CookieAllowedNode(template.Node):
    def __init__(self, category: FilterExpression, allowed: NodeList, refused: NodeList) -> None:
        self.category = category
        self.allowed = allowed
        self.refused = refused

    def render(self, context: Context) -> str:
        request = context.get("request")
        # Without a request there is no visitor to have agreed: render as refused.
        if request is not None and consent_state(request).allows(str(self.category.resolve(context))):
            return self.allowed.render(context)
        return self.refused.render(context)


@register.tag("cookie_allowed")
def do_cookie_allowed(parser: Parser, token: Token) -> CookieAllowedNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the category's key, e.g. \"analytics\"")
    category = parser.compile_filter(bits[1])
    allowed = parser.parse(("else", "endcookie_allowed"))
    refused = NodeList()
    if parser.next_token().contents == "else":
        refused = parser.parse(("endcookie_allowed",))
        parser.delete_first_token()
    return CookieAllowedNode(category, allowed, refused)


@register.simple_tag(takes_context=True)
def cookie_banner(context: Context) -> str:
    """The banner, until the visitor has made a choice that still stands."""
    request = context.get("request")
    if request is None:
        return ""
    state = consent_state(request)
    if not state.shows_banner:
        return ""
    # The banner is the same for every first visit in a language (the catalogue's words, the GPC notice):
    # rendered once per catalogue version with marks where this request's CSRF token and path go. In a page
    # rendered for the page cache the marks stay, and the page is filled per request.
    html = content_cached(CATALOGUE, ("banner-marked", get_language(), state.version, state.gpc,
                                      *sorted(state.allowed)),
                          lambda: str(render_to_string("cookies/banner.html", {
                              "state": state, "csrf_token": CSRF_MARK, "current_path": PATH_MARK})))
    return mark_safe(html if context.get(PAGE_MARKED) else fill(html, request))  # noqa: S308 (our template, escaped values)


@register.simple_tag(takes_context=True)
def cookie_scripts(context: Context) -> str:
    """Our script, what it needs to know about the visitor's choice, and the gated demo snippets."""
    request = context.get("request")
    if request is None:
        return ""
    state = consent_state(request)
    config = {
        "allowed": sorted(state.allowed),
        "chosen": state.chosen,
        "gpc": state.gpc,
        "stale": sorted(state.gpc_stale),
        "cookies": state.cookie_patterns,
        "save": reverse("cookies:save"),
    }
    if state.gpc_stale:
        # Our script will post the GPC override on its own, with no form on the page to copy from.
        config["csrf"] = CSRF_MARK if context.get(PAGE_MARKED) else get_token(request)
    return render_to_string("cookies/scripts.html", {"config": config}, request=request)
