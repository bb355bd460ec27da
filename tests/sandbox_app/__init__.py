"""The sandbox: its page in headless Chromium, every scripted scenario played headless, and the
transcript it prints."""
