"""The web shell: Gradio chat at /, REST under /api/, an embeddable widget at /embed.js.

Gradio's telemetry is switched off before Gradio can be imported (it otherwise calls
api.gradio.app and huggingface.co at launch, and its thread can keep the process alive).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TELEMETRY_ENABLED", "False")
