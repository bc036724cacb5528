"""Named exceptions. The CLI turns any `CurateError` into one clear line and exit code 2."""


class CurateError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(CurateError):
    """The pipeline configuration is invalid; the message names the field path."""


class SourceError(CurateError):
    """An input source cannot be read: unknown format, missing file, or a mapped field absent."""


class SchemaError(CurateError):
    """A table does not match the problem schema."""


class ExportError(CurateError):
    """The dataset could not be exported."""


class ModelEndpointError(CurateError):
    """A model endpoint is misconfigured or unreachable."""


class UnscoredError(CurateError):
    """Too many graded items could not be scored (endpoint down or failing); samples received are kept."""


class ReviewError(CurateError):
    """A review-queue operation was refused (lost lease, unknown item, bad decision)."""


class GeneratorConfigError(CurateError, ValueError):
    """A puzzle generator config is invalid."""


class StageContractError(CurateError):
    """A stage broke its declaration: it used a column it does not declare, or added or removed rows."""
