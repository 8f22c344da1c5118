"""Seeing inside a recurrent stack: recorded states and gates, gradient flow through time,
gate saturation, interpretable units, and the vanishing / exploding gradient measurements.

    recording = record(model, token_ids)           # per layer, step and unit, no graph
    flow = language_model_flow(model, token_ids)   # ||dL/dh_k|| back through time
    saturation(recording); interpretable_units(recording, text_properties(pieces))
"""

from seqlab.seqmodels.inspection.experiments import (
    CellExperiment,
    DecayCurve,
    ExplodingResult,
    compare_cells,
    decay_curve,
    exploding,
    small_language_model,
    steps_until_below,
    train_language_model,
)
from seqlab.seqmodels.inspection.gradient_flow import (
    GradientFlow,
    LayerFlow,
    classifier_flow,
    gradient_flow,
    jacobian_product_norms,
    language_model_flow,
)
from seqlab.seqmodels.inspection.kinds import KINDS, CellKind, Step, kind_of
from seqlab.seqmodels.inspection.recording import (
    LayerRecord,
    Recording,
    record,
    record_stack,
    stack_of,
)
from seqlab.seqmodels.inspection.statistics import (
    GateSaturation,
    UnitScore,
    correlations,
    interpretable_units,
    saturation,
    text_properties,
)

__all__ = [
    "KINDS", "CellExperiment", "CellKind", "DecayCurve", "ExplodingResult", "GateSaturation",
    "GradientFlow", "LayerFlow", "LayerRecord", "Recording", "Step", "UnitScore",
    "classifier_flow", "compare_cells", "correlations", "decay_curve", "exploding",
    "gradient_flow", "interpretable_units", "jacobian_product_norms", "kind_of",
    "language_model_flow", "record", "record_stack", "saturation", "small_language_model",
    "stack_of", "steps_until_below", "text_properties", "train_language_model",
]
