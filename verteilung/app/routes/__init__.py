"""The app's routers, one per page or concern; each is built by ``router(state)`` from `AppState`."""
