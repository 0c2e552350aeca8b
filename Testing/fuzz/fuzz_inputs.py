"""Mutate real files and feed them to MedImgAI's readers: every outcome must be a result or one clear error.

Run by hand (not part of the test suite):
    .venv/bin/python Testing/fuzz/fuzz_inputs.py [--cases 200] [--seed 0]

Inputs are made from the shared data: the sample CT as .nii and .nii.gz, one slice of the sample CT's DICOM
series, and a small MONAI bundle (its metadata.json and inference.json). Each case flips random bytes or
truncates the file, then reads it in a child process (so a crash or a hang is caught as one). Outcomes:
read (accepted), refused (a MedImgAIError: one line naming the file), TRACEBACK (any other exception), CRASH
(the process died) and HANG (no answer within the time limit). Prints a table and every case that is not read
or refused, with the command to reproduce it.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED = REPOSITORY.parent / "shared" / "data"
TIMEOUT_S = 60

READ = """
import sys
from MedImgAILib.errors import MedImgAIError
kind, path = sys.argv[1], sys.argv[2]
try:
    if kind == "model":
        from MedImgAILib.models import load_model_path, read_declaration
        read_declaration(path)
        load_model_path(path)
    else:
        from MedImgAILib.io import read_image
        read_image(path)
except MedImgAIError as error:
    print("refused:", str(error).splitlines()[0][:200]); sys.exit(0)
print("read")
"""


def mutated(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    if rng.random() < 0.3:
        return bytes(data[: rng.randrange(len(data))])
    region = len(data) if rng.random() < 0.3 else min(len(data), 2048)  # mostly the header
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(region)] = rng.randrange(256)
    return bytes(data)


def seeds(folder: Path) -> list[tuple[str, str, Path]]:
    """(kind, name, path of a pristine copy)."""
    sys.path.insert(0, str(REPOSITORY / "Testing" / "support"))
    from tiny_models import write_tiny_bundle

    ct = gzip.decompress((SHARED / "sts-multimodal" / "STS_002" / "CT_image.nii.gz").read_bytes())
    (folder / "ct.nii").write_bytes(ct)
    (folder / "ct.nii.gz").write_bytes(gzip.compress(ct))
    dicom = sorted((SHARED / "sts-dicom" / "STS_002" / "CT" / "image").glob("*.dcm"))[10]
    shutil.copy(dicom, folder / "slice.dcm")
    bundle = write_tiny_bundle(folder / "bundle")
    return [("image", "nii", folder / "ct.nii"), ("image", "nii.gz", folder / "ct.nii.gz"),
            ("image", "dicom slice", folder / "slice.dcm"),
            ("model", "bundle metadata.json", bundle / "configs" / "metadata.json"),
            ("model", "bundle inference.json", bundle / "configs" / "inference.json")]


def run_case(kind: str, path: Path) -> str:
    try:
        result = subprocess.run([sys.executable, "-c", READ, kind, str(path)], capture_output=True, text=True,
                                timeout=TIMEOUT_S, cwd=REPOSITORY)
    except subprocess.TimeoutExpired:
        return "HANG"
    if result.returncode < 0:
        return f"CRASH (signal {-result.returncode})"
    if result.returncode != 0:
        return "TRACEBACK " + (result.stderr.strip().splitlines() or ["?"])[-1][:160]
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "read"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    problems = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        originals = seeds(folder)
        for case in range(arguments.cases):
            kind, name, pristine = originals[case % len(originals)]
            target = pristine if kind == "image" else pristine.parent.parent  # a model is read as its folder
            backup = pristine.read_bytes()
            pristine.write_bytes(mutated(backup, rng))
            outcome = run_case(kind, target)
            if not (outcome == "read" or outcome.startswith("refused")):
                keep = folder.parent / f"medimgai-fuzz-{arguments.seed}-{case}{''.join(pristine.suffixes)}"
                shutil.copy(pristine, keep)
                problems.append(f"case {case} ({name}): {outcome}  [kept as {keep}]")
            counts[name][outcome.split(":")[0].split(" ")[0]] += 1
            pristine.write_bytes(backup)
    kinds = sorted({outcome for counter in counts.values() for outcome in counter})
    print(f"{arguments.cases} cases, seed {arguments.seed}\n")
    print("| input | " + " | ".join(kinds) + " |")
    print("| --- | " + " | ".join("---" for _ in kinds) + " |")
    for name, counter in counts.items():
        print(f"| {name} | " + " | ".join(str(counter.get(kind, 0)) for kind in kinds) + " |")
    print("\n" + ("\n".join(problems) if problems else "no traceback, crash or hang"))


if __name__ == "__main__":
    main()
