"""Pictures and widgets: image grids, training curves, piano rolls, sliders. Used across the lessons."""
