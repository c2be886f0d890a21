"""The Slack adapter: a bolt App that translates Slack payloads to the shared conversation and back.

Nothing is built at import time: `bot.slack.app.build_slack` assembles everything from Settings.
"""
