"""The browser environment: BrowserEnv, the action grammar and executor, observation, coverage and scoring, offline routing, the corpus server."""
