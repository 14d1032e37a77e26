"""The engine: discrete-diffusion models that fill a canvas between a prefix and a suffix.

What it knows: tokens, models and how they denoise. ``api`` (request/result types, the
``Backend`` protocol with its ``Capabilities`` declared as data), ``modeling`` (the embedded
canvas denoiser), ``tokenizer`` (its tokenizer and context layout), ``sampling`` (the samplers),
``blocks`` (block-by-block continuation), ``scoring`` (token-level scoring and small edits),
``errors``, and ``backends`` (``load_backend``: the embedded model, local transformers models,
remote servers).

What it does not know: programming languages, files, editors, gap kinds or post-processing
(that is ``infill``), and how the embedded model was trained (that is ``training``, which the
engine never imports).
"""
