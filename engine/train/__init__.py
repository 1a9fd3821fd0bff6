"""Fine-tuning the planner: ``python -m engine.train planner ...`` (LoRA, selected on val success,
exported as a GGUF LoRA that llama.cpp applies at run time). Needs the ``train`` extra (torch,
transformers, peft, gguf); nothing else in ``engine`` imports this package. The ToolRAG
classifier is trained by ``python -m engine.train.toolrag`` (numpy and the encoder only)."""
