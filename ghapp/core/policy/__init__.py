"""The policy file: located YAML, the schema, layers and `_extends`, the Policy model."""
