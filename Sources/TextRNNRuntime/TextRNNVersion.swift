/// The library version; `TEXTRNN_VERSION_*` in include/textrnn.h must say the same.
public enum TextRNNVersion {
    public static let major = 0
    public static let minor = 1
    public static let patch = 0
    public static var string: String { "\(major).\(minor).\(patch)" }
}
