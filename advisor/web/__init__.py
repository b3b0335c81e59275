"""The web shell: the chat page at / (our own chat component, the widget of /embed.js filling
the screen), REST under /api/, profile pages under /profiles/, Gradio for its /chat API.

Set before Gradio can be imported:
- telemetry off (it otherwise calls api.gradio.app and huggingface.co at launch, and its
  thread can keep the process alive);
- Gradio's temporary files in a private folder of this process, removed when it exits
  (uploads are closed at the door, but nothing Gradio writes outlives the server).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TELEMETRY_ENABLED", "False")

if "GRADIO_TEMP_DIR" not in os.environ:
    _temp = tempfile.mkdtemp(prefix="advisor-gradio-")
    os.environ["GRADIO_TEMP_DIR"] = _temp
    atexit.register(shutil.rmtree, _temp, ignore_errors=True)
