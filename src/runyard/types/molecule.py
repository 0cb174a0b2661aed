"""``Molecule`` (docs/media-refs.md, ``molecule-file``): a molecular structure file, shown as an interactive 3-D model.

The file's bytes are read on the caller's thread and stored unchanged under
``media/molecule/<sha256>.<format>``. ``from_smiles``/``from_rdkit`` (needs ``runyard[chem]``)
write a PDB block with 3-D coordinates, as the reference does.
"""

from __future__ import annotations

import io
import os
from typing import Any

from ._files import read_source
from .base import Media, MediaStore

FORMATS = ("pdb", "pqr", "mmcif", "mcif", "cif", "sdf", "sd", "gro", "mol2", "mmtf")
BINARY_FORMATS = ("mmtf",)
RDKIT_FILE_FORMATS = ("mol", "sdf", "sd", "mol2", "pdb")


def _rdkit() -> tuple[Any, Any]:
    try:
        from rdkit import Chem
        from rdkit.Chem import AllChem
    except ImportError as e:
        raise ImportError(
            "Molecule.from_smiles/from_rdkit need rdkit; install it with: pip install 'runyard[chem]'"
        ) from e
    return Chem, AllChem


class Molecule(Media):
    """A molecule from a path or an open file in pdb, pqr, mmcif, mcif, cif, sdf, sd, gro, mol2
    or mmtf (``file_type=`` names the format when the file's name does not).

    Reference: ``{"_type": "molecule-file", "path", "sha256", "size", "format", "caption"?}``.
    """

    _type = "molecule-file"
    SUPPORTED_TYPES = FORMATS

    def __init__(self, data: Any, caption: str | None = None, file_type: str | None = None) -> None:
        self._bytes, self.format = read_source(data, file_type, FORMATS, BINARY_FORMATS, "Molecule")
        if not self._bytes:
            raise ValueError("Molecule: the file is empty")
        self.caption = None if caption is None else str(caption)

    @classmethod
    def from_rdkit(
        cls,
        data_or_path: Any,
        caption: str | None = None,
        convert_to_3d_and_optimize: bool = True,
        mmff_optimize_molecule_max_iterations: int = 200,
    ) -> Molecule:
        """A molecule from an ``rdkit.Chem.Mol`` or a file rdkit reads (mol, sdf, sd, mol2, pdb).

        With ``convert_to_3d_and_optimize`` hydrogens are added, 3-D coordinates embedded and
        optimised with MMFF (up to ``mmff_optimize_molecule_max_iterations``). Stored as PDB.
        """
        chem, all_chem = _rdkit()
        if isinstance(data_or_path, (str, os.PathLike)):
            path = os.fspath(data_or_path)
            ext = os.path.splitext(path)[1].lower().lstrip(".")
            if ext not in RDKIT_FILE_FORMATS:
                raise ValueError(
                    f"Molecule.from_rdkit: cannot read {path!r}; supported files are "
                    f"{', '.join(RDKIT_FILE_FORMATS)} (or pass an rdkit Mol)"
                )
            if not os.path.isfile(path):
                raise FileNotFoundError(f"Molecule.from_rdkit: no such file: {path!r}")
            # Hydrogens in the file keep their coordinates (rdkit drops them by default).
            if ext in ("sdf", "sd"):
                supplier = chem.SDMolSupplier(path, removeHs=False)
                mol = next(iter(supplier), None) if len(supplier) else None
            elif ext == "mol":
                mol = chem.MolFromMolFile(path, removeHs=False)
            elif ext == "mol2":
                mol = chem.MolFromMol2File(path, removeHs=False)
            else:
                mol = chem.MolFromPDBFile(path, removeHs=False)
            if mol is None:
                raise ValueError(f"Molecule.from_rdkit: rdkit could not read a molecule from {path!r}")
        elif isinstance(data_or_path, chem.Mol):
            mol = chem.Mol(data_or_path)  # a copy: embedding must not change the caller's molecule
        else:
            raise TypeError(
                "Molecule.from_rdkit: expected an rdkit.Chem.Mol or a path to a mol/sdf/mol2/pdb file, "
                f"got {type(data_or_path).__name__}"
            )
        if convert_to_3d_and_optimize:
            mol = chem.AddHs(mol)
            if all_chem.EmbedMolecule(mol, randomSeed=0xF00D) != 0:
                raise ValueError(
                    "Molecule.from_rdkit: rdkit could not embed 3-D coordinates for this molecule"
                )
            all_chem.MMFFOptimizeMolecule(mol, maxIters=mmff_optimize_molecule_max_iterations)
        pdb_block = chem.MolToPDBBlock(mol)
        return cls(io.StringIO(pdb_block), caption=caption, file_type="pdb")

    @classmethod
    def from_smiles(
        cls,
        smiles: str,
        caption: str | None = None,
        sanitization: bool = True,
        convert_to_3d_and_optimize: bool = True,
        mmff_optimize_molecule_max_iterations: int = 200,
        *,
        sanitize: bool | None = None,
    ) -> Molecule:
        """A molecule from a SMILES string (``sanitize=`` is accepted as wandb's newer name)."""
        chem, _ = _rdkit()
        if not isinstance(smiles, str):
            raise TypeError(f"Molecule.from_smiles: expected a SMILES string, got {type(smiles).__name__}")
        do_sanitize = sanitization if sanitize is None else sanitize
        mol = chem.MolFromSmiles(smiles, sanitize=do_sanitize)
        if mol is None:
            raise ValueError(f"Molecule.from_smiles: rdkit could not parse the SMILES string {smiles!r}")
        return cls.from_rdkit(
            mol,
            caption=caption,
            convert_to_3d_and_optimize=convert_to_3d_and_optimize,
            mmff_optimize_molecule_max_iterations=mmff_optimize_molecule_max_iterations,
        )

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "molecule-file"}
        ref.update(store.put_bytes("molecule", self._bytes, self.format))
        ref["format"] = self.format
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref
