"""How the embedded model is made: not needed at run time.

``training`` builds the corpus of permissively licensed Python on this machine (``corpus``,
with its licence manifest and the HumanEval decontamination), cuts fill-in-the-middle examples
the way the editor cuts gaps (``cuts``), corrupts canvases and computes the masked-diffusion
loss (``noise``), streams batches (``data``), trains and checkpoints (``train``), and writes or
averages shippable model folders (``export``). ``tokenizer`` trains the byte-level BPE that
``engine.tokenizer`` loads; ``diffusion_gemma`` makes tiny DiffusionGemma checkpoints for tests.

It knows the engine's model and tokenizer (``engine.modeling``, ``engine.tokenizer``); the
runtime packages (``engine``, ``infill``, ``lsp_server``) never import it. Installed with the
``train`` extra: ``pip install -e '.[train]'``.
"""
