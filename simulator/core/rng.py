"""The one random source every id and correlation id comes from: same seed, same ids."""

from __future__ import annotations

import random
import uuid


class SeededRandom:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._ids = random.Random(seed)
        # Fault probabilities draw from their own stream so that adding a fault rule does not shift
        # every id generated afterwards (a run with and without faults stays comparable).
        self._faults = random.Random(seed ^ 0x5F5F5F5F)

    def randint(self, low: int, high: int) -> int:
        return self._ids.randint(low, high)

    def choice(self, seq: str) -> str:
        return self._ids.choice(seq)

    def token(self, alphabet: str, length: int) -> str:
        return "".join(self._ids.choices(alphabet, k=length))

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def fault_roll(self) -> float:
        return self._faults.random()

    def state(self) -> dict[str, object]:
        return {"seed": self.seed, "ids": _encode(self._ids.getstate()), "faults": _encode(self._faults.getstate())}

    def restore(self, data: dict[str, object]) -> None:
        self.seed = int(data["seed"])  # type: ignore[arg-type]
        self._ids.setstate(_decode(data["ids"]))
        self._faults.setstate(_decode(data["faults"]))


def _encode(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _decode(data: object) -> tuple:
    version, internal, gauss = data  # type: ignore[misc]
    return (version, tuple(internal), gauss)
