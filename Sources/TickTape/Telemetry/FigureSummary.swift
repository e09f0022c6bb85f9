/// One figure (a latency or the lag) over the last window and since start.
public struct FigureSummary: Sendable, Equatable {
    /// The last closed window.
    public var window: HistogramSummary
    /// Everything since the capture started.
    public var cumulative: HistogramSummary

    public init(window: HistogramSummary = HistogramSummary(), cumulative: HistogramSummary = HistogramSummary()) {
        self.window = window
        self.cumulative = cumulative
    }
}
