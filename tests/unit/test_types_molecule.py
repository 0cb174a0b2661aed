"""Molecule (docs/media-refs.md, molecule-file): real structure files stored unchanged, rdkit molecules written as 3-D PDB."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from runyard.types import MediaStore, Molecule
from runyard.types import molecule as molecule_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "molecules"
ALA3 = FIXTURES / "ala3.pdb"
GRO = FIXTURES / "md_1u19.gro"


def _ethanol_3d() -> Chem.Mol:
    mol = Chem.AddHs(Chem.MolFromSmiles("CCO"))
    assert AllChem.EmbedMolecule(mol, randomSeed=7) == 0
    return mol


def test_pdb_path_stored_byte_for_byte(tmp_path: Path) -> None:
    ref = Molecule(str(ALA3), caption="tri-alanine").to_ref(MediaStore(tmp_path / "run"))
    stored = tmp_path / "run" / ref["path"]
    assert stored.read_bytes() == ALA3.read_bytes()
    assert ref == {
        "_type": "molecule-file",
        "path": f"media/molecule/{hashlib.sha256(ALA3.read_bytes()).hexdigest()}.pdb",
        "sha256": hashlib.sha256(ALA3.read_bytes()).hexdigest(),
        "size": ALA3.stat().st_size,
        "format": "pdb",
        "caption": "tri-alanine",
    }
    back = Chem.MolFromPDBFile(str(stored), removeHs=False)
    assert back is not None and back.GetNumAtoms() == sum(
        1 for line in ALA3.read_text().splitlines() if line.startswith(("ATOM", "HETATM"))
    )


def test_reference_example_open_text_file(tmp_path: Path) -> None:
    # wandb.log({"protein": wandb.Molecule(open("6lu7.pdb"))}): a text-mode file, format from its name
    with open(ALA3) as f:
        mol = Molecule(f)
    ref = mol.to_ref(MediaStore(tmp_path))
    assert ref["format"] == "pdb" and "caption" not in ref
    assert (tmp_path / ref["path"]).read_bytes() == ALA3.read_bytes()


def test_gro_fixture_pathlib_and_binary_file(tmp_path: Path) -> None:
    ref = Molecule(GRO).to_ref(MediaStore(tmp_path))
    assert ref["format"] == "gro" and ref["path"].endswith(".gro")
    stored = (tmp_path / ref["path"]).read_text()
    lines = stored.splitlines()
    assert lines[0] == "Protein" and int(lines[1]) == 5547 and len(lines) == 5547 + 3
    with open(GRO, "rb") as f:
        again = Molecule(f).to_ref(MediaStore(tmp_path))
    assert again["path"] == ref["path"]  # same bytes, stored once


def test_file_changed_after_construction_is_stored_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "m.pdb"
    path.write_bytes(ALA3.read_bytes())
    mol = Molecule(path)
    path.write_text("changed")
    ref = mol.to_ref(MediaStore(tmp_path / "run"))
    assert (tmp_path / "run" / ref["path"]).read_bytes() == ALA3.read_bytes()


def test_sdf_written_by_rdkit_reads_back_with_rdkit(tmp_path: Path) -> None:
    sdf = tmp_path / "ethanol.sdf"
    with Chem.SDWriter(str(sdf)) as writer:
        writer.write(_ethanol_3d())
    ref = Molecule(str(sdf)).to_ref(MediaStore(tmp_path / "run"))
    assert ref["format"] == "sdf" and ref["path"].endswith(".sdf")
    back = next(iter(Chem.SDMolSupplier(str(tmp_path / "run" / ref["path"]), removeHs=False)))
    assert back.GetNumAtoms() == 9 and Chem.MolToSmiles(Chem.RemoveHs(back)) == "CCO"


def test_io_object_with_file_type(tmp_path: Path) -> None:
    block = Chem.MolToMolBlock(_ethanol_3d()) + "$$$$\n"
    ref = Molecule(io.StringIO(block), file_type="sdf").to_ref(MediaStore(tmp_path))
    back = next(iter(Chem.SDMolSupplier(str(tmp_path / ref["path"]), removeHs=False)))
    assert back.GetNumAtoms() == 9
    mmtf = Molecule(io.BytesIO(b"\x8f\x00binary"), file_type="mmtf").to_ref(MediaStore(tmp_path))
    assert (tmp_path / mmtf["path"]).read_bytes() == b"\x8f\x00binary" and mmtf["format"] == "mmtf"


def test_from_smiles_writes_pdb_with_3d_coordinates(tmp_path: Path) -> None:
    mol = Molecule.from_smiles("CC(=O)Oc1ccccc1C(=O)O", caption="aspirin")
    ref = mol.to_ref(MediaStore(tmp_path))
    assert ref["format"] == "pdb" and ref["caption"] == "aspirin"
    back = Chem.MolFromPDBFile(str(tmp_path / ref["path"]), removeHs=False)
    assert back is not None and back.GetNumAtoms() == 21  # 13 heavy atoms + 8 hydrogens
    zs = [back.GetConformer().GetAtomPosition(i).z for i in range(back.GetNumAtoms())]
    assert max(zs) - min(zs) > 0.5  # really 3-D, not a flat 2-D depiction


def test_from_rdkit_mol_and_files(tmp_path: Path) -> None:
    caller_mol = Chem.MolFromSmiles("c1ccccc1")
    ref = Molecule.from_rdkit(caller_mol).to_ref(MediaStore(tmp_path))
    assert caller_mol.GetNumAtoms() == 6  # the caller's molecule is not given hydrogens
    assert Chem.MolFromPDBFile(str(tmp_path / ref["path"]), removeHs=False).GetNumAtoms() == 12

    mol_file = tmp_path / "ethanol.mol"
    Chem.MolToMolFile(_ethanol_3d(), str(mol_file))
    sdf_file = tmp_path / "ethanol.sdf"
    with Chem.SDWriter(str(sdf_file)) as w:
        w.write(_ethanol_3d())
    for path in (mol_file, sdf_file):
        out = Molecule.from_rdkit(str(path), convert_to_3d_and_optimize=False).to_ref(MediaStore(tmp_path))
        back = Chem.MolFromPDBFile(str(tmp_path / out["path"]), removeHs=False)
        assert back.GetNumAtoms() == 9


def test_from_smiles_accepts_wandb_keyword_names() -> None:
    Molecule.from_smiles("CCO", sanitize=True, convert_to_3d_and_optimize=False)
    Molecule.from_smiles("CCO", sanitization=False, convert_to_3d_and_optimize=False)


# -- bad inputs ------------------------------------------------------------------------------------


def test_unknown_format_lists_the_ten(tmp_path: Path) -> None:
    path = tmp_path / "thing.xyz"
    path.write_text("3\n")
    with pytest.raises(ValueError, match=r"thing\.xyz.*cif, gro, mcif, mmcif, mmtf, mol2, pdb, pqr, sd, sdf"):
        Molecule(str(path))
    with pytest.raises(ValueError, match=r"unsupported file_type 'xyz'; supported formats are cif, gro"):
        Molecule(io.StringIO("x"), file_type="xyz")


def test_open_file_without_telling_name_needs_file_type() -> None:
    with pytest.raises(ValueError, match="pass file_type="):
        Molecule(io.StringIO(ALA3.read_text()))


def test_mmtf_from_a_text_stream_needs_bytes() -> None:
    with pytest.raises(TypeError, match=r"mmtf is a binary format but the file object was opened in text"):
        Molecule(io.StringIO("not bytes"), file_type="mmtf")


def test_missing_file_and_bad_values() -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        Molecule("/nonexistent/protein.pdb")
    with pytest.raises(TypeError, match="expected a path or an open file"):
        Molecule(42)
    with pytest.raises(ValueError, match="could not parse the SMILES string 'C1CC'"):
        Molecule.from_smiles("C1CC")
    with pytest.raises(ValueError, match="from_rdkit: cannot read 'x.txt'"):
        Molecule.from_rdkit("x.txt")


def test_missing_rdkit_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_rdkit(name: str, *args: object, **kwargs: object) -> object:
        if name == "rdkit" or name.startswith("rdkit."):
            raise ImportError("No module named 'rdkit'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_rdkit)
    with pytest.raises(ImportError, match=r"runyard\[chem\]"):
        molecule_module.Molecule.from_smiles("CCO")
