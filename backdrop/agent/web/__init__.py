"""The browser editor: ``backdrop serve`` (see :mod:`backdrop.agent.web.server`)."""
