public enum AuralVersion {
    public static let current = "0.1.0"
}
