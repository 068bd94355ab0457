"""Helpers the subjects tests share."""



def tamper_signature(token: str) -> str:
    """Change one character in the middle of the sealed token (AES-GCM authenticates every byte)."""
    i = len(token) // 2
    return f"{token[:i]}{'A' if token[i] != 'A' else 'B'}{token[i + 1:]}"
