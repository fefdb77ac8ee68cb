"""CODEOWNERS with GitHub's semantics: patterns, files, and the owner index."""
