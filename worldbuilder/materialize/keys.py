"""Per-computer SSH keypairs, generated and kept on the host (only the public key enters an image)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from worldbuilder.materialize.paths import keys_dir


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public: str  # "ssh-ed25519 AAAA... comment"


def key_path(computer_id: str) -> Path:
    return keys_dir() / computer_id / "id_ed25519"


def ensure_keypair(computer_id: str) -> KeyPair:
    """Load the computer's ed25519 keypair, creating it (mode 600, atomically) on first use."""
    priv = key_path(computer_id)
    pub = priv.with_suffix(".pub")
    if priv.exists() and pub.exists():
        return KeyPair(priv, pub.read_text().strip())
    priv.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                            serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    text = public.decode() + f" worldbuilder-{computer_id}"
    tmp = priv.with_name(f".{priv.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub.write_text(text + "\n")
    os.replace(tmp, priv)
    return KeyPair(priv, text)
