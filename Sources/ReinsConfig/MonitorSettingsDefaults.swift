extension MonitorSettings {
    /// Monitor settings with the same defaults a robot description's `monitor:` section gets, for
    /// tools and tests that run a policy without a robot description.
    public init(
        sensorNoiseBound: Double, actionTolerance: Double, probes: Int = 8, sensitivityLimit: Double? = nil,
        confidenceHigh: Double = 0.9, confidenceLow: Double = 0.5, entropyMax: Double = 1.5, binTolerance: Int = 1,
        response: LowConfidenceResponse = .slow, slowFactor: Double = 0.5
    ) {
        self.sensorNoiseBound = sensorNoiseBound
        self.actionTolerance = actionTolerance
        self.probes = probes
        self.sensitivityLimit = sensitivityLimit ?? actionTolerance / sensorNoiseBound
        self.confidenceHigh = confidenceHigh
        self.confidenceLow = confidenceLow
        self.entropyMax = entropyMax
        self.binTolerance = binTolerance
        self.response = response
        self.slowFactor = slowFactor
    }
}
