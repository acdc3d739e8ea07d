"""The user's config: where updates are published (destinations) and how to find their keys.

```yaml
destinations:
  - id: status
    type: statuspage
    base_url: https://api.statuspage.io/v1
    page_id: abc123
    api_key_env: STATUSPAGE_API_KEY   # or api_key_file: a file that must be mode 0600
    components: {API: 8kbf7d35c070}
keymap:                             # optional: action id -> key, or a list of keys
  publish: ctrl+u
  next_phase: [n, ctrl+right]
```

Strict like the playbook: unknown keys are errors, every problem is
``FILE:LINE:COL: message``. A keymap is checked against the action table
(:mod:`tui.core.actions`): an unknown action id, a string that is not a key,
or two actions on one key where both are live is an error (and
:attr:`ConfigError.keymap` says the keymap is at fault: the dashboard refuses
to start on it rather than open with keys the user did not ask for).

API keys are never read here into anything that is stored or shown:
:meth:`Destination.api_key` reads the environment variable or the file at send
time, and errors name the variable or file, never a key.
"""

from __future__ import annotations

from tui.core.config.keymap import parse_keymap
from tui.core.config.loading import default_config_path, load_config, parse_config
from tui.core.config.model import Config, ConfigError, Destination, QueueSource, SecretError
from tui.core.config.types import (
    CHAT_TYPES,
    DEFAULT_STATUSPAGE,
    SECRET_LABELS,
    STALE_AFTER,
    TYPE_KEYS,
    TYPES,
    TypeKeys,
)

__all__ = [
    "CHAT_TYPES",
    "DEFAULT_STATUSPAGE",
    "SECRET_LABELS",
    "STALE_AFTER",
    "TYPES",
    "TYPE_KEYS",
    "Config",
    "ConfigError",
    "Destination",
    "QueueSource",
    "SecretError",
    "TypeKeys",
    "default_config_path",
    "load_config",
    "parse_config",
    "parse_keymap",
]
