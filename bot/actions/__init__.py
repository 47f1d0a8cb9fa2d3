"""Rasa custom actions (served by rasa-sdk: `helpline actions`)."""

from bot.actions.answers import ActionAnswer, ActionEmergency

__all__ = ["ActionAnswer", "ActionEmergency"]
