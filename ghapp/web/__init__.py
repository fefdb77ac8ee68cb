"""The App's browser-facing pages: the one-time setup (manifest flow), GitHub sign-in and the dashboard.

Kept free of imports so `ghapp.settings` can read the stored credentials without loading the web stack.
"""
