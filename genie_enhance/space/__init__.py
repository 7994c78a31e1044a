"""The Genie `serialized_space` model, the fixes that edit it, and its validation."""
