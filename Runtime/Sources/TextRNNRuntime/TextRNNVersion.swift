import CTextRNN

/// The library version, read from include/textrnn.h (TEXTRNN_VERSION_*), where it is written
/// once; the Python package's `__version__` is checked against it (tests/test_api.py).
public enum TextRNNVersion {
    public static let major = Int(TEXTRNN_VERSION_MAJOR)
    public static let minor = Int(TEXTRNN_VERSION_MINOR)
    public static let patch = Int(TEXTRNN_VERSION_PATCH)
    public static let string: String = TEXTRNN_VERSION_STRING
}
