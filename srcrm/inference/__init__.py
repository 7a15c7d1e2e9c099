"""Running a trained model: the :class:`~srcrm.inference.predictor.Predictor` the app and the CLI
use, the inference strategies it applies (whole image or sliding window, flip and multi-scale),
the fast paths (bf16/fp16, ONNX Runtime), predicting a folder of files, colour overlays, and
export to ONNX/TorchScript."""
