"""Data types shared by every stage of the pipeline."""
