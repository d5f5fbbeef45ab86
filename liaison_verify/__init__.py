"""The standalone verifier: checkpoints of the seal and evidence files, checked without the store.

Depends only on the standard library and `cryptography`, so that an inspector's office can check
what it was handed (`python -m liaison_verify FILE...`). Liaison itself signs and reads checkpoints
with this same code.
"""
