"""The citation every MedImgAI module's help and acknowledgement carry: the data the bundled model learnt from."""

__all__ = ["DATA_CITATION"]

DATA_CITATION = (
    "The bundled model was trained on the IBSI soft-tissue-sarcoma set derived from the TCIA Soft-tissue-Sarcoma "
    "collection (Vallieres et al. 2015, DOI 10.7937/K9/TCIA.2015.7GO2GSKS; Clark et al. 2013, "
    "DOI 10.1007/s10278-013-9622-7), CC BY 3.0."
)
