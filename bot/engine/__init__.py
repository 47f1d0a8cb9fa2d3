"""The dialogue engine: what the core needs of one (`base`), and the Rasa client (`rasa`)."""
