"""The action server: Rasa's NLG endpoint and custom actions (`helpline actions`)."""

from bot.actions.emergency import ActionEmergency

__all__ = ["ActionEmergency"]
