"""An anonymous, multilingual helpline bot for survivors of trafficking and exploitation."""

__version__ = "0.1.0"
