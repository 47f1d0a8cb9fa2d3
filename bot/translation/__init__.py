"""Machine translation between survivor and counsellor, through the deployment's own LibreTranslate server
(optional, off unless HELPLINE_TRANSLATE_URL is set)."""

from bot.translation.libretranslate import LibreTranslate, TranslationFailed

__all__ = ["LibreTranslate", "TranslationFailed"]
