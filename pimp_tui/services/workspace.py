"""The store as the workbench sees it: seeding on first run, listing and loading models."""

from __future__ import annotations

from pathlib import Path

from pimp_tui.services import open_db
from pimp_tui.variability.model import FeatureModel


def open_default_model(db_path: str | Path) -> tuple[FeatureModel, int, str] | None:
    """Seed an empty store with the shipped generation-settings model, then return the most
    recently stored model (what the editor opens on)."""
    db = open_db(db_path)
    try:
        from pimp_tui.store.samples import list_models, load_model_by_id

        if not list_models(db):
            seed_store(db)
        models = list_models(db)
        if not models:
            return None
        row = models[-1]
        return load_model_by_id(db, row["id"]), row["id"], row["name"]
    finally:
        db.close()


def seed_store(db) -> None:
    """First run: the shipped hf_generation model, so a newcomer sees a working workbench."""
    from pimp_tui.paths import HF_GENERATION_MODEL
    from pimp_tui.store.samples import save_model
    from pimp_tui.variability.io import load_model

    save_model(db, load_model(HF_GENERATION_MODEL), name="hf_generation")


def list_models(db_path: str | Path) -> list[dict]:
    from pimp_tui.store import samples

    db = open_db(db_path)
    try:
        return samples.list_models(db)
    finally:
        db.close()


def load_stored_model(db_path: str | Path, model_id: int) -> tuple[FeatureModel, str]:
    from pimp_tui.store.samples import load_model_by_id, model_name

    db = open_db(db_path)
    try:
        name = model_name(db, model_id)
        return load_model_by_id(db, model_id), name
    finally:
        db.close()


def open_model_file(path: str | Path) -> FeatureModel:
    """A model file (.uvl or FeatureIDE .xml) as the editor opens it."""
    from pimp_tui.variability.io import load_model

    return load_model(path)


def save_model_file(model: FeatureModel, path: str | Path) -> None:
    """Write the model in the format of the file's extension (.uvl or .xml)."""
    from pimp_tui.variability.io import save_model

    save_model(model, path)
