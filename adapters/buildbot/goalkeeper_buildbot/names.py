"""Names shared by the goal step and the session step: properties, files, the result path."""

import hashlib
import os
import re

# Properties a goal build sets on each session build it triggers.
JOB_KEY = "gk_job_key"
COMMAND = "gk_command"  # JSON list: an argv, never a shell string
ENV = "gk_env"  # JSON object
PROMPT = "gk_prompt"
TIMEOUT_S = "gk_timeout_s"
STATE = "gk_state"

# Properties a session build sets on itself when its command ended.
EXIT_CODE = "gk_exit_code"
RESULT_FILE = "gk_result_file"

# The source the goal step gives its trigger properties, so that a buildset is found again by
# an exact match on its stored JSON ([value, source]) after a restart.
SOURCE = "goalkeeper"

# Inside a session's workspace on the worker.
PROMPT_NAME = ".goalkeeper/prompt.md"
RESULT_NAME = ".goalkeeper/result.json"

# A result larger than this is not copied to the master (the plugin's own default limit is
# 1 MiB; this only protects the master's disk from a runaway job).
MAX_RESULT_BYTES = 16 * 1024 * 1024


def safe_key(job_key):
    """A file name for a job key: readable, and distinct for distinct keys ("a/b#1", "a_b_1")."""
    readable = re.sub(r"[^A-Za-z0-9_.-]", "_", job_key)[:100]
    digest = hashlib.sha256(job_key.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}"


def result_path(master_basedir, job_key):
    """Where the master keeps the result a job's build uploaded (an absolute path)."""
    return os.path.join(os.path.abspath(master_basedir), "gk-results", safe_key(job_key) + ".json")
