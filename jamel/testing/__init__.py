"""Shared test and CI helpers: tiny random-weight models, tiny SFT assets. Production code does not import this."""
