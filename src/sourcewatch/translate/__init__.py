"""Machine translation of stored items, private by default: no engine is configured
unless ``[translate] engines`` names one, so no text leaves the machine by default.

- :mod:`.engine`: the seam (``Engine``, ``Translation``, ``TranslateError``);
- :mod:`.registry`: which engines exist (``libretranslate``, ``deepl``);
- :mod:`.policy`: which engine may see which item (third parties only where opted in);
- :mod:`.store`: the ``translation`` table (``latest_translation``, ``iter_translation_texts``);
- :mod:`.service`: translating items on demand; :mod:`.background`: the daemon's job.
"""
