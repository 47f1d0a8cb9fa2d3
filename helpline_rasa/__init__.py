"""Code the Rasa server loads (it runs in Rasa's own Python 3.10 environment, not the app's)."""
