/// Who the run's policy is, as the caller established it (the recorder stores these values; it
/// does not hash or certify anything itself).
public struct PolicyIdentity: Sendable, Equatable {
    /// The weights file as given on the command line.
    public var path: String
    /// SHA-256 of the weights file, lowercase hex.
    public var weightsSHA256: String
    /// The certified Lipschitz bound L in physical units (action units per observation unit, L2).
    public var certifiedLipschitzBound: Double?
    /// The robot's action tolerance the certificate L·ε ≤ tolerance was checked against.
    public var actionTolerance: Double?
    public var certified: Bool?
    /// The policy's config file (NAME.yaml), attached to the recording as-is when given.
    public var configPath: String?
    /// Further key/values stored with the identity.
    public var extra: [String: String]

    public init(path: String, weightsSHA256: String, certifiedLipschitzBound: Double? = nil, actionTolerance: Double? = nil,
                certified: Bool? = nil, configPath: String? = nil, extra: [String: String] = [:]) {
        self.path = path
        self.weightsSHA256 = weightsSHA256
        self.certifiedLipschitzBound = certifiedLipschitzBound
        self.actionTolerance = actionTolerance
        self.certified = certified
        self.configPath = configPath
        self.extra = extra
    }

    /// The `policy` metadata record.
    var metadata: [String: String] {
        var entries = extra
        entries["path"] = path
        entries["weights_sha256"] = weightsSHA256
        if let certifiedLipschitzBound { entries["certified_lipschitz_bound"] = certifiedLipschitzBound.description }
        if let actionTolerance { entries["action_tolerance"] = actionTolerance.description }
        if let certified { entries["certified"] = certified ? "true" : "false" }
        if let configPath { entries["config_path"] = configPath }
        return entries
    }

    init?(metadata entries: [String: String]) {
        guard let path = entries["path"], let hash = entries["weights_sha256"] else { return nil }
        var extra = entries
        for key in ["path", "weights_sha256", "certified_lipschitz_bound", "action_tolerance", "certified", "config_path"] {
            extra[key] = nil
        }
        self.init(path: path, weightsSHA256: hash,
                  certifiedLipschitzBound: entries["certified_lipschitz_bound"].flatMap(Double.init),
                  actionTolerance: entries["action_tolerance"].flatMap(Double.init),
                  certified: entries["certified"].map { $0 == "true" },
                  configPath: entries["config_path"], extra: extra)
    }
}
