"""prompt-to-pr: a GitHub App that enforces the prompt-to-PR policy."""
