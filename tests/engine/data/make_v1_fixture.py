import lzma, io, torch
from srcrm.config import ModelConfig
from srcrm.models import build_model
from srcrm.checkpoint import save_checkpoint, load_checkpoint
torch.manual_seed(0)
cfg = ModelConfig(num_classes=3, backbone="resnet18", decoder_channels=32, crm_channels=16)
m = build_model(cfg)
with torch.no_grad():
    for name, t in m.state_dict().items():
        if not t.is_floating_point(): continue
        n = t.numel()
        if name.endswith("running_var"): vec = torch.rand(31) + 0.5
        elif name.endswith("running_mean"): vec = torch.randn(31) * 0.1
        elif t.dim() == 1 and name.endswith("weight"): vec = 1 + 0.2 * torch.randn(31)
        elif t.dim() == 1: vec = 0.1 * torch.randn(31)
        else:
            fan_in = t[0].numel()
            vec = torch.randn(97) * (1.0 / fan_in) ** 0.5
        t.copy_(vec.repeat(n // len(vec) + 1)[:n].view_as(t))
m.eval()
save_checkpoint("/tmp/v1.pt", m, class_names=["a","b","c"], palette=[(255,0,0),(0,255,0),(0,0,255)], ignore_index=255, meta={"note":"format v1, SRCRMNet layout before the encoder/decoder/head split"}, half=True)
raw = open("/tmp/v1.pt","rb").read()
open("tests/engine/data/v1_resnet18_3cls.pt.xz","wb").write(lzma.compress(raw, preset=9))
mm = load_checkpoint("/tmp/v1.pt").build_model()
g = torch.Generator().manual_seed(1); x = torch.rand(1,3,64,96, generator=g)
with torch.no_grad(): y = mm(x)
torch.save({"input": x, "logits": y}, "tests/engine/data/v1_resnet18_3cls_expected.pt")
print(y.shape, y.std(), y.argmax(1).unique(return_counts=True), y.softmax(1).max(1).values.mean())
