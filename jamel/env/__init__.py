"""The browser environment: BrowserEnv, the action grammar and executor, observation, coverage and scoring, offline routing, the corpus server.

Importing this package registers ``jamel/BrowserExplore-v0`` with gymnasium:
``gymnasium.make("jamel/BrowserExplore-v0", app="shop", corpus="env/demo_apps", max_steps=50)``.
"""
import gymnasium

if "jamel/BrowserExplore-v0" not in gymnasium.registry:
    # Not deterministic: app code may use Math.random and timers, and info carries wall-clock timings.
    gymnasium.register("jamel/BrowserExplore-v0", entry_point="jamel.env.browser:BrowserEnv", nondeterministic=True)
