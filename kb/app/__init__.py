"""The Streamlit front end behind app.py: one module per page (help_center, agent_desk, editors),
shared plumbing (common), search and article views (views) and interface strings (strings).
Imports: any kb stage (it sits on top, beside the CLI); nothing in kb imports kb.app."""
