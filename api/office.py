"""The office the board drives: the liaison office (every use case, with the access trail)."""

from __future__ import annotations

from domain.office import LiaisonOffice

Office = LiaisonOffice
