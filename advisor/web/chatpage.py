"""The chat page at /: a plain HTML page that fills the screen with the advisor's own chat
component (static/embed.js, the widget schools embed, in its "page" layout).

Gradio's Chatbot is not used for the page: in Gradio 6.31 it fails WCAG 2.2 AA (see
`GRADIO_GAPS`), and its HTML component cannot be used instead under this app's
Content-Security-Policy (it compiles templates with `Function`, which needs
'unsafe-eval'). The Gradio app stays mounted for its `/chat` API (gradio_client).
"""

from __future__ import annotations

from html import escape

# What Gradio would have to fix upstream for its Chatbot page to pass (measured with
# axe-core 4.14.1 on gradio 6.31.0, and by hand), so the page could be Gradio's again.
GRADIO_GAPS = (
    "Chatbot examples: the container's role does not allow its buttons (axe aria-required-children)",
    "a metadata (Sources) block's toggle: an arrow button with no name inside a role=button title (button-name, nested-interactive)",
    "message buttons (copy, like, dislike, clear) are 18×18 px (target-size, WCAG 2.5.8)",
    "the like/dislike buttons change their label but expose no aria-pressed, and a rating is not announced",
    "each message's accessible name is its raw Markdown source (\"services\\. \\[1\\]\")",
    "new messages are not announced by a live region; the status region stays empty while an answer loads",
    "the floating 'Conversation' label covers the first message on a phone, and the copy/clear icons overlap",
    "the default theme's primary button (white on #f97316, 2.8:1), input placeholder (#bbbbc2, 1.9:1) and focus border (1.8:1) fail contrast",
    "gr.HTML compiles its template with Function() (needs CSP 'unsafe-eval'); gr.Markdown's sanitiser strips aria-* and data-* attributes",
)


def chat_page(title: str, intro: str, career: str | None = None) -> str:
    """The page: a `<main>` the chat component fills, loaded from this server."""
    attrs = f' data-title="{escape(title)}" data-intro="{escape(intro)}"' + (f' data-career="{escape(career)}"' if career else "")
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # resizes-content: an on-screen keyboard shrinks the page, so the question box and
        # the answer above it stay in view instead of being covered
        '<meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content">',
        f"<title>{escape(title)}</title>",
        '<link rel="icon" href="data:,">',
        "<style>html,body{margin:0;height:100%;background:#f6f8fa}main,#career-advisor{height:100%}"
        "@supports (height:100dvh){main,#career-advisor{height:100dvh}}"
        ".nojs{font:17px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style>",
        "</head><body>",
        f'<main><div id="career-advisor"></div><noscript><p class="nojs">{escape(title)} needs JavaScript to answer questions. '
        'The profiles it quotes are at <a href="/profiles/">/profiles/</a>.</p></noscript></main>',
        f'<script src="/embed.js" data-target="#career-advisor" data-layout="page"{attrs} defer></script>',
        "</body></html>",
    ]) + "\n"
