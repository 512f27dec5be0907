"""dimtensor training: fits a small physics-informed network on the GPU and saves its weights."""
import os

import torch
from dimtensor import units
from dimtensor.torch import DimTensor


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"torch {torch.__version__} on {device}; MLflow tracking {'configured' if os.environ.get('MLFLOW_TRACKING_URI') else 'off'}")
    model = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    epochs = int(os.environ.get("EPOCHS", "2000"))
    for epoch in range(epochs):
        position = DimTensor(torch.rand(64, 1, device=device), units.m)
        # Harmonic oscillator residual at unit angular frequency: x'' + x = 0 with x(0) = 0.
        x = position.data.requires_grad_(True)
        y = model(x)
        dy = torch.autograd.grad(y.sum(), x, create_graph=True)[0]
        d2y = torch.autograd.grad(dy.sum(), x, create_graph=True)[0]
        loss = ((d2y + y) ** 2).mean() + model(torch.zeros(1, 1, device=device)).pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 200 == 0:
            print(f"epoch {epoch}/{epochs} loss {loss.item():.6f}")
    torch.save(model.state_dict(), os.environ.get("OUTPUT_PATH", "/tmp/model.pt"))
    print("training complete")


if __name__ == "__main__":
    main()
