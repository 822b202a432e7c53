"""Shared helpers of the lamost tests: the repeated star of the shipped DR7 files and a small MRS writer."""

REPEATED_STAR = "LAMOST J192814.09+435531.0"


def write_mrs(path, blue=None, red=None, drop_hdu=None, drop_column=None, empty_arm=None):
    """A small MRS file in the real layout (primary `Information`, COADD_B/COADD_R), for bad-input tests."""
    import numpy as np
    from astropy.io import fits

    def table(name, start, stop, values):
        loglam = np.log10(np.linspace(start, stop, 4000)).astype("float32")
        columns = {"FLUX": np.full(4000, 100.0, "float32"), "IVAR": np.ones(4000, "float32"), "LOGLAM": loglam,
                   "ANDMASK": np.zeros(4000, "int16"), "ORMASK": np.zeros(4000, "int16")}
        columns.update(values or {})
        formats = {"FLUX": "E", "IVAR": "E", "LOGLAM": "E", "ANDMASK": "I", "ORMASK": "I"}
        rows = 0 if name == empty_arm else 4000
        cols = [fits.Column(name=k, format=formats[k], array=v[:rows]) for k, v in columns.items() if k != drop_column]
        return fits.BinTableHDU.from_columns(cols, name=name)

    primary = fits.PrimaryHDU()
    primary.header["EXTNAME"] = "Information"
    primary.header["HELIO"] = True
    primary.header["HELIO_RV"] = 0.0
    primary.header["DESIG"] = "LAMOST J000000.00+000000.0"
    hdus = [primary, table("COADD_B", 4900, 5390, blue), table("COADD_R", 6280, 6840, red)]
    hdus = [h for h in hdus if h.name != drop_hdu]
    fits.HDUList(hdus).writeto(path)
    return path
