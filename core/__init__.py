"""Flotilla's platform-neutral core: domain, commands, handlers. No platform or database imports."""
