"""Multiple-choice → fill-in conversion (docs/mcq.md).

- `outcome`: the decision record (`Conversion`), outcomes and the reason vocabulary (`REASONS`).
- `rules`: text rules that recognise things (stems that need their options, units, meta options).
- `convert`: the per-item decision (`convert_item`) and the pipeline stage (`convert_multiple_choice`).
- `model`: optional model mode (an LLM rewrites stems the rules refuse); imported only when used.
"""

from curation.mcq.convert import convert_item, convert_multiple_choice, mcq_alarms, mcq_card_section, mcq_counts
from curation.mcq.outcome import CONVERTED, NOT_CONVERTIBLE, REASONS, REVIEW, RULES, Conversion

__all__ = [
    "CONVERTED", "NOT_CONVERTIBLE", "REASONS", "REVIEW", "RULES", "Conversion",
    "convert_item", "convert_multiple_choice", "mcq_alarms", "mcq_card_section", "mcq_counts",
]
