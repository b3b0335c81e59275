"""Domain errors. Each message names the bad value and the fix; shells print it as one line."""

from __future__ import annotations


class AdvisorError(Exception):
    """Base of every error the core raises on purpose."""


class CorpusError(AdvisorError):
    """The corpus folder or one of its files cannot be used."""


class IndexMissingError(AdvisorError):
    """No index has been built in the data folder."""


class IndexStaleError(AdvisorError):
    """The index was built from another corpus or other settings."""


class IndexCorruptError(AdvisorError):
    """The index files are damaged or incomplete."""


class ModelError(AdvisorError):
    """The embedding model cannot be loaded or does not match its expected weights."""


class SettingsError(AdvisorError):
    """A setting has a value that cannot work."""


class InputError(AdvisorError):
    """A batch or eval input file or line cannot be read."""


class VocabularyError(AdvisorError):
    """A synonyms or vocabulary file has a line that cannot be read."""


class CareerError(AdvisorError):
    """A career was asked for by an id that no loaded profile has."""
