// placeholder so the stage library has a source until its code lands
